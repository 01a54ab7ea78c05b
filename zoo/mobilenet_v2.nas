// MobileNetV2 (Sandler et al. 2018) as torchvision.models.mobilenet_v2 builds it: a strided
// 3x3 stem, seventeen inverted residual blocks (1x1 expansion by t, 3x3 depthwise carrying
// the stride, linear 1x1 projection; BN after each, ReLU6 after the first two; the input added
// back when the block keeps the shape), a 1x1 conv to 1280 channels, dropout 0.2 and a linear
// classifier. Widths scale by `width` and round with make_divisible(., 8), as torchvision's
// `width_mult`:
//
//   nasc stats zoo/mobilenet_v2.nas                          # torchvision mobilenet_v2()
//   nasc stats zoo/mobilenet_v2.nas --preset mobilenet_v2_0_5   # mobilenet_v2(width_mult=0.5)

// torchvision's `InvertedResidual`: the input's channels (`x.channels`) expanded by `t`.
block inverted(oup: int, stride: int, t: int) {
    input x
    let expand = if(t == 1, identity, conv(1x1, x.channels * t) -> bn -> relu6)
    let body = expand -> dw_conv(3x3, stride=stride) -> bn -> relu6 -> conv(1x1, oup) -> bn
    output x -> if(stride == 1 and x.channels == oup, residual(body), body)
}

// `n` blocks of `t` to `oup` channels, the first with `stride`.
block blocks(oup: int, n: int, stride: int, t: int) {
    input x
    output x -> repeat(n, inverted(oup, 1, t), first=inverted(oup, stride, t))
}

network mobilenet_v2(width: float in {0.5, 0.75, 1.0, 1.4} = 1.0) {
    preset mobilenet_v2_0_5(width=0.5)
    preset mobilenet_v2_0_75(width=0.75)
    preset mobilenet_v2_1_0(width=1.0)
    preset mobilenet_v2_1_4(width=1.4)

    input [3, 224, 224]
    classes 1000

    let c0 = make_divisible(32 * width, 8)
    let c1 = make_divisible(16 * width, 8)
    let c2 = make_divisible(24 * width, 8)
    let c3 = make_divisible(32 * width, 8)
    let c4 = make_divisible(64 * width, 8)
    let c5 = make_divisible(96 * width, 8)
    let c6 = make_divisible(160 * width, 8)
    let c7 = make_divisible(320 * width, 8)
    stage stem = conv(3x3, c0, stride=2) -> bn -> relu6
    stage b1 = blocks(c1, n=1, stride=1, t=1)
    stage b2 = blocks(c2, n=2, stride=2, t=6)
    stage b3 = blocks(c3, n=3, stride=2, t=6)
    stage b4 = blocks(c4, n=4, stride=2, t=6)
    stage b5 = blocks(c5, n=3, stride=1, t=6)
    stage b6 = blocks(c6, n=3, stride=2, t=6)
    stage b7 = blocks(c7, n=1, stride=1, t=6)
    stage head = conv(1x1, make_divisible(1280 * max(1.0, width), 8)) -> bn -> relu6 -> global_avg_pool -> dropout(0.2) -> linear(classes)
}
