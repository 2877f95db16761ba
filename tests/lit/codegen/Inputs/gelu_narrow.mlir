module attributes {ssmc.arch = "sm_90", ssmc.model = "gelu_narrow"} {
  func.func @main(%arg0: tensor<1073741823xf32> {ssmc.name = "x"}) -> (tensor<1073741823xf32> {ssmc.name = "output"}) {
    %0 = ssmc.gelu %arg0 : tensor<1073741823xf32>
    return %0 : tensor<1073741823xf32>
  }
}
