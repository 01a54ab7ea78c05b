// MobileNetV3-style inverted residuals (Howard et al., 2019) on Fashion-MNIST: a 1x1
// expansion, a 3x3 depthwise conv, squeeze-excitation gated by a hard sigmoid, a linear 1x1
// projection; hard-swish in the stem and head. The activation of the searchable blocks is an
// op-valued parameter (`nasc sample` draws it, `--set act=relu` picks one). The fixed blocks
// use one activation each (relu, silu, gelu, tanh): one spec that trains and exports every
// activation nasc has through every back end. Stochastic depth drops the residual bodies,
// more often deeper in the network (`drop` / 3, 2 `drop` / 3, `drop`).
//
//   nasc stats examples/mobilenet_v3_fmnist.nas
//   nasc train examples/mobilenet_v3_fmnist.nas --epochs 1 --set act=silu

// Squeeze-excitation: a per-channel gate from the globally pooled map.
block se(C: int, reduction: int = 4, gate: op = hardsigmoid) {
    input x
    let g = x -> global_avg_pool(keepdim=true) -> conv(1x1, C / reduction, bias=true) -> relu -> conv(1x1, C, bias=true) -> gate
    output x * g
}

block bneck(C: int, hidden: int, act: op, stride: int = 1) {
    input x
    output x -> conv(1x1, hidden) -> bn -> act -> dw_conv(3x3, stride=stride) -> bn -> act -> se(hidden) -> conv(1x1, C) -> bn
}

network mobilenet_v3_fmnist(
    C: int = 16,
    act: op in {relu, relu6, silu, hardswish, gelu, tanh} = hardswish,
    drop: float in 0.0..0.3 = 0.1,
) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C) -> bn -> hardswish
    stage s1 = bneck(C, hidden=C, act=relu) -> residual(bneck(C, hidden=4 * C, act=act) -> drop_path(drop / 3))
    stage s2 = bneck(2 * C, hidden=4 * C, act=silu, stride=2) -> residual(bneck(2 * C, hidden=6 * C, act=gelu) -> drop_path(2 * drop / 3))
    stage s3 = bneck(4 * C, hidden=6 * C, act=tanh, stride=2) -> residual(bneck(4 * C, hidden=12 * C, act=act) -> drop_path(drop))
    stage head = conv(1x1, 8 * C) -> bn -> hardswish -> global_avg_pool -> linear(classes)
}
