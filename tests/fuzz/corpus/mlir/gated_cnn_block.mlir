module attributes {ssmc.arch = "sm_90", ssmc.model = "gated_cnn_block"} {
  func.func @main(%arg0: tensor<1x14x14x8xf32> {ssmc.name = "input"}) -> (tensor<1x14x14x8xf32> {ssmc.name = "output"}) {
    %0 = ssmc.weight "fc2.bias" : tensor<8xf32>
    %1 = ssmc.weight "fc2.weight" : tensor<8x21xf32>
    %2 = ssmc.weight "conv.bias" : tensor<8xf32>
    %3 = ssmc.weight "conv.weight" : tensor<8x1x7x7xf32>
    %4 = ssmc.weight "fc1.bias" : tensor<42xf32>
    %5 = ssmc.weight "fc1.weight" : tensor<42x8xf32>
    %6 = ssmc.weight "norm.bias" : tensor<8xf32>
    %7 = ssmc.weight "norm.weight" : tensor<8xf32>
    %8 = ssmc.layer_norm %arg0, %7, %6 eps 9.9999999999999995E-7 : (tensor<1x14x14x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x14x14x8xf32>
    %9 = ssmc.linear %8, %5, %4 : (tensor<1x14x14x8xf32>, tensor<42x8xf32>, tensor<42xf32>) -> tensor<1x14x14x42xf32>
    %10:3 = ssmc.split %9 axis 3 : tensor<1x14x14x42xf32> -> tensor<1x14x14x21xf32>, tensor<1x14x14x13xf32>, tensor<1x14x14x8xf32>
    %11 = ssmc.depthwise_conv2d %10#2, %3, %2 : (tensor<1x14x14x8xf32>, tensor<8x1x7x7xf32>, tensor<8xf32>) -> tensor<1x14x14x8xf32>
    %12 = ssmc.concat %10#1, %11 axis 3 : (tensor<1x14x14x13xf32>, tensor<1x14x14x8xf32>) -> tensor<1x14x14x21xf32>
    %13 = ssmc.gelu %10#0 : tensor<1x14x14x21xf32>
    %14 = ssmc.mul %13, %12 : tensor<1x14x14x21xf32>, tensor<1x14x14x21xf32> -> tensor<1x14x14x21xf32>
    %15 = ssmc.linear %14, %1, %0 : (tensor<1x14x14x21xf32>, tensor<8x21xf32>, tensor<8xf32>) -> tensor<1x14x14x8xf32>
    %16 = ssmc.add %15, %arg0 : tensor<1x14x14x8xf32>, tensor<1x14x14x8xf32> -> tensor<1x14x14x8xf32>
    return %16 : tensor<1x14x14x8xf32>
  }
}
