// MobileNetV2-style inverted residuals (Sandler et al., 2018) on Fashion-MNIST: a 1x1
// expansion, a 3x3 depthwise conv and a linear 1x1 projection, ReLU6 after the first two;
// a residual connection around every block that keeps the shape.
//
//   nasc stats examples/mobilenet_v2_fmnist.nas
//   nasc train examples/mobilenet_v2_fmnist.nas --epochs 1

block inverted(C: int, hidden: int, stride: int = 1) {
    input x
    output x -> conv(1x1, hidden) -> bn -> relu6 -> dw_conv(3x3, stride=stride) -> bn -> relu6 -> conv(1x1, C) -> bn
}

network mobilenet_v2_fmnist(C: int = 16) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C) -> bn -> relu6
    stage s1 = inverted(C, hidden=C) -> residual(inverted(C, hidden=6 * C))
    stage s2 = inverted(2 * C, hidden=6 * C, stride=2) -> residual(inverted(2 * C, hidden=12 * C))
    stage s3 = inverted(4 * C, hidden=12 * C, stride=2) -> residual(inverted(4 * C, hidden=24 * C))
    stage head = conv(1x1, 8 * C) -> bn -> relu6 -> global_avg_pool -> linear(classes)
}
