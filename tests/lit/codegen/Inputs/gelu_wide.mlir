module attributes {ssmc.arch = "sm_90", ssmc.model = "gelu_wide"} {
  func.func @main(%arg0: tensor<1073741824xf32> {ssmc.name = "x"}) -> (tensor<1073741824xf32> {ssmc.name = "output"}) {
    %0 = ssmc.gelu %arg0 : tensor<1073741824xf32>
    return %0 : tensor<1073741824xf32>
  }
}
