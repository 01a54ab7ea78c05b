// General building blocks, written in the language itself.

// ResNet basic block: two 3x3 convs with BN, a residual connection (projected by a 1x1
// conv + BN when the shape changes), ReLU after the add.
block basic(C: int, stride: int = 1) {
    input x
    output x -> residual(conv(3x3, C, stride=stride) -> bn -> relu -> conv(3x3, C) -> bn) -> relu
}

// ResNet bottleneck: 1x1 to C / expansion, 3x3 (carrying the stride), 1x1 to C.
block bottleneck(C: int, stride: int = 1, expansion: int = 4) {
    input x
    let mid = C / expansion
    output x -> residual(conv(1x1, mid) -> bn -> relu -> conv(3x3, mid, stride=stride) -> bn -> relu -> conv(1x1, C) -> bn) -> relu
}

// The same residual unit with its dataflow spelled out: named values and `+`.
block basic_explicit(C: int) {
    input x
    let y = x -> conv(3x3, C) -> bn -> relu -> conv(3x3, C) -> bn
    output (x + y) -> relu
}

// Squeeze-and-excitation (Hu et al. 2018) over C channels: global average pooling, a biased
// 1x1 conv to `squeeze` channels, `act`, a biased 1x1 conv back to C, the `gate`, and the
// input scaled by it per channel. The published variants differ in exactly these:
// torchvision's MobileNetV3 (squeeze = make_divisible(C / 4, 8), relu, hardsigmoid), its
// EfficientNet (squeeze = the block input's channels / 4, silu, sigmoid), timm's
// SqueezeExcite (the block's activation), RegNetY (relu, sigmoid).
block se(C: int, squeeze: int, act: op = relu, gate: op = sigmoid) {
    input x
    output x * (x -> global_avg_pool(keepdim=true) -> conv(1x1, squeeze, bias=true) -> act -> conv(1x1, C, bias=true) -> gate)
}
