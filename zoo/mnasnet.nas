// MnasNet-B1 (Tan et al. 2019), the network NAS found for mobile latency, as torchvision.models
// builds it: a strided 3x3 stem, a depthwise-separable conv, six stacks of inverted residual
// blocks (kernel 3 or 5, expansion 3 or 6; the input added back when a block keeps the
// shape), a 1x1 conv to 1280, dropout 0.2 and a linear classifier. Depths scale with
// `alpha`, rounded as torchvision's `_round_to_multiple_of(., 8)` (make_divisible):
//
//   nasc stats zoo/mnasnet.nas --preset mnasnet0_5
//
// timm's `mnasnet_100` is the same network as `mnasnet1_0` (a preset of that name too).

// torchvision's batch norm (`_BN_MOMENTUM = 1 - 0.9997`, TensorFlow's); timm's has PyTorch's
// defaults.
let bn_tv = bn(momentum=0.0003)

// torchvision's `_InvertedResidual`: `inp` is the input's channel count.
block inverted(inp: int, oup: int, k: kernel, stride: int, t: int, norm: op) {
    input x
    let body = conv(1x1, inp * t) -> norm -> relu -> dw_conv(k, stride=stride) -> norm -> relu -> conv(1x1, oup) -> norm
    output x -> if(stride == 1 and inp == oup, residual(body), body)
}

// torchvision's `_stack`: `n` blocks, the first from `inp` with `stride`.
block stack(inp: int, oup: int, k: kernel, stride: int, t: int, n: int, norm: op) {
    input x
    output x -> repeat(n, inverted(oup, oup, k, 1, t, norm), first=inverted(inp, oup, k, stride, t, norm))
}

network mnasnet(alpha: float in {0.5, 0.75, 1.0, 1.3} = 1.0, norm: op in {bn_tv, bn} = bn_tv) {
    preset mnasnet0_5(alpha=0.5)
    preset mnasnet0_75(alpha=0.75)
    preset mnasnet1_0(alpha=1.0)
    preset mnasnet1_3(alpha=1.3)
    preset mnasnet_100(alpha=1.0, norm=bn)   // timm's name for mnasnet1_0 (the same network)

    input [3, 224, 224]
    classes 1000

    let d0 = make_divisible(32 * alpha, 8)
    let d1 = make_divisible(16 * alpha, 8)
    let d2 = make_divisible(24 * alpha, 8)
    let d3 = make_divisible(40 * alpha, 8)
    let d4 = make_divisible(80 * alpha, 8)
    let d5 = make_divisible(96 * alpha, 8)
    let d6 = make_divisible(192 * alpha, 8)
    let d7 = make_divisible(320 * alpha, 8)
    stage stem = conv(3x3, d0, stride=2) -> norm -> relu -> dw_conv(3x3) -> norm -> relu -> conv(1x1, d1) -> norm
    stage s1 = stack(d1, d2, 3, 2, 3, 3, norm)
    stage s2 = stack(d2, d3, 5, 2, 3, 3, norm)
    stage s3 = stack(d3, d4, 5, 2, 6, 3, norm)
    stage s4 = stack(d4, d5, 3, 1, 6, 2, norm)
    stage s5 = stack(d5, d6, 5, 2, 6, 4, norm)
    stage s6 = stack(d6, d7, 3, 1, 6, 1, norm)
    stage head = conv(1x1, 1280) -> norm -> relu -> global_avg_pool -> dropout(0.2) -> linear(classes)
}
