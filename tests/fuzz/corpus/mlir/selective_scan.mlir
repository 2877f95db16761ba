module attributes {ssmc.arch = "sm_90", ssmc.model = "selective_scan"} {
  func.func @main(%arg0: tensor<1x4x8xf32> {ssmc.name = "u"}, %arg1: tensor<1x4x8xf32> {ssmc.name = "delta"}, %arg2: tensor<4x16xf32> {ssmc.name = "A"}, %arg3: tensor<1x16x8xf32> {ssmc.name = "B"}, %arg4: tensor<1x16x8xf32> {ssmc.name = "C"}) -> (tensor<1x4x8xf32> {ssmc.name = "out"}, tensor<1x4x16xf32> {ssmc.name = "last_state"}) {
    %out, %last_state = ssmc.selective_scan %arg0, %arg1, %arg2, %arg3, %arg4 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<4x16xf32>, tensor<1x16x8xf32>, tensor<1x16x8xf32>) -> (tensor<1x4x8xf32>, tensor<1x4x16xf32>)
    return %out, %last_state : tensor<1x4x8xf32>, tensor<1x4x16xf32>
  }
}
