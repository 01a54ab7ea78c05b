// args: --network efficientnet
// EfficientNet B0-B7 (Tan & Le 2019) and EfficientNetV2-S (Tan & Le 2021), as
// torchvision.models builds them. B0 is the network MnasNet-style search found: a strided 3x3
// stem, seven stages of MBConv blocks (a 1x1 expansion, a depthwise k x k conv carrying the
// stride, squeeze-excitation with SiLU and a sigmoid gate, a linear 1x1 projection; SiLU
// throughout), a 1x1 conv to 4x the last width, dropout and a linear classifier. B1-B7 scale
// it by compound scaling: widths by `width` (rounded by make_divisible(., 8)), depths by
// `depth` (rounded up), the resolution and the dropout rate with them. Stochastic depth drops
// a residual block's body with a probability rising linearly with the block's index over the
// network, 0.2 * index / blocks (torchvision's rule), through `repeat`'s index.
//
//   nasc stats zoo/efficientnet.nas --preset efficientnet_b3
//   nasc stats zoo/efficientnet.nas --network efficientnet_v2_s
//
// Batch norms as torchvision's: PyTorch's defaults in B0-B4; eps 0.001 and momentum 0.01 in
// B5-B7 (`norm=bn_tf`), eps 0.001 in V2 (`bn_v2`).

import blocks   // se: squeeze-and-excitation

let bn_tf = bn(eps=0.001, momentum=0.01)
let bn_v2 = bn(eps=0.001)

// torchvision's `MBConv` (`inp`: the input's channel count), `drop` the block's stochastic
// depth (applied where the input is added back), `norm` its batch norm.
block mbconv(out: int, t: int, k: kernel, stride: int, drop: float, norm: op) {
    input x
    let inp = x.channels
    let exp = make_divisible(inp * t, 8)
    let expand = if(exp == inp, identity, conv(1x1, exp) -> norm -> silu)
    let body = expand -> dw_conv(k, stride=stride) -> norm -> silu -> se(exp, max(1, floor(inp / 4)), act=silu) -> conv(1x1, out) -> norm
    output x -> if(stride == 1 and inp == out, residual(body -> drop_path(drop)), body)
}

// torchvision's `FusedMBConv` (EfficientNetV2): the expansion and the depthwise conv fused
// into one k x k conv; no squeeze-excitation.
block fused_mbconv(out: int, t: int, k: kernel, stride: int, drop: float, norm: op) {
    input x
    let inp = x.channels
    let exp = make_divisible(inp * t, 8)
    let body = if(exp == inp, conv(k, out, stride=stride) -> norm -> silu, conv(k, exp, stride=stride) -> norm -> silu -> conv(1x1, out) -> norm)
    output x -> if(stride == 1 and inp == out, residual(body -> drop_path(drop)), body)
}

// One stage of `n` MBConv blocks to `out` channels, the first with `stride`; its blocks are
// the network's `b0`-th onwards of `total`, their stochastic depth `p * index / total`.
block mb_stage(out: int, t: int, k: kernel, stride: int, n: int, b0: int, total: int, p: float, norm: op) {
    input x
    output x -> repeat(n, i => mbconv(out, t, k, 1, p * (b0 + i) / total, norm), first=mbconv(out, t, k, stride, p * b0 / total, norm))
}

// The same with FusedMBConv blocks.
block fused_stage(out: int, t: int, k: kernel, stride: int, n: int, b0: int, total: int, p: float, norm: op) {
    input x
    output x -> repeat(n, i => fused_mbconv(out, t, k, 1, p * (b0 + i) / total, norm), first=fused_mbconv(out, t, k, stride, p * b0 / total, norm))
}

network efficientnet(width: float = 1.0, depth: float = 1.0, res: int = 224, drop_rate: float = 0.2, stochastic_depth: float = 0.2, norm: op in {bn, bn_tf} = bn) {
    preset efficientnet_b0(width=1.0, depth=1.0, res=224, drop_rate=0.2)
    preset efficientnet_b1(width=1.0, depth=1.1, res=240, drop_rate=0.2)
    preset efficientnet_b2(width=1.1, depth=1.2, res=288, drop_rate=0.3)
    preset efficientnet_b3(width=1.2, depth=1.4, res=300, drop_rate=0.3)
    preset efficientnet_b4(width=1.4, depth=1.8, res=380, drop_rate=0.4)
    preset efficientnet_b5(width=1.6, depth=2.2, res=456, drop_rate=0.4, norm=bn_tf)
    preset efficientnet_b6(width=1.8, depth=2.6, res=528, drop_rate=0.5, norm=bn_tf)
    preset efficientnet_b7(width=2.0, depth=3.1, res=600, drop_rate=0.5, norm=bn_tf)

    input [3, res, res]
    classes 1000

    // B0's stages (expansion, kernel, stride, channels, blocks), scaled.
    let c0 = make_divisible(32 * width, 8)
    let c1 = make_divisible(16 * width, 8)
    let c2 = make_divisible(24 * width, 8)
    let c3 = make_divisible(40 * width, 8)
    let c4 = make_divisible(80 * width, 8)
    let c5 = make_divisible(112 * width, 8)
    let c6 = make_divisible(192 * width, 8)
    let c7 = make_divisible(320 * width, 8)
    let n1 = ceil(1 * depth)
    let n2 = ceil(2 * depth)
    let n3 = ceil(2 * depth)
    let n4 = ceil(3 * depth)
    let n5 = ceil(3 * depth)
    let n6 = ceil(4 * depth)
    let n7 = ceil(1 * depth)
    let total = n1 + n2 + n3 + n4 + n5 + n6 + n7
    let p = stochastic_depth
    stage stem = conv(3x3, c0, stride=2) -> norm -> silu
    stage s1 = mb_stage(c1, 1, 3, 1, n1, 0, total, p, norm)
    stage s2 = mb_stage(c2, 6, 3, 2, n2, n1, total, p, norm)
    stage s3 = mb_stage(c3, 6, 5, 2, n3, n1 + n2, total, p, norm)
    stage s4 = mb_stage(c4, 6, 3, 2, n4, n1 + n2 + n3, total, p, norm)
    stage s5 = mb_stage(c5, 6, 5, 1, n5, n1 + n2 + n3 + n4, total, p, norm)
    stage s6 = mb_stage(c6, 6, 5, 2, n6, n1 + n2 + n3 + n4 + n5, total, p, norm)
    stage s7 = mb_stage(c7, 6, 3, 1, n7, total - n7, total, p, norm)
    stage head = conv(1x1, 4 * c7) -> norm -> silu -> global_avg_pool -> dropout(drop_rate) -> linear(classes)
}

network efficientnet_v2_s(res: int = 384, stochastic_depth: float = 0.2) {
    input [3, res, res]
    classes 1000

    let p = stochastic_depth
    let total = 2 + 4 + 4 + 6 + 9 + 15
    stage stem = conv(3x3, 24, stride=2) -> bn_v2 -> silu
    stage s1 = fused_stage(24, 1, 3, 1, 2, 0, total, p, bn_v2)
    stage s2 = fused_stage(48, 4, 3, 2, 4, 2, total, p, bn_v2)
    stage s3 = fused_stage(64, 4, 3, 2, 4, 6, total, p, bn_v2)
    stage s4 = mb_stage(128, 4, 3, 2, 6, 10, total, p, bn_v2)
    stage s5 = mb_stage(160, 6, 3, 1, 9, 16, total, p, bn_v2)
    stage s6 = mb_stage(256, 6, 3, 2, 15, 25, total, p, bn_v2)
    stage head = conv(1x1, 1280) -> bn_v2 -> silu -> global_avg_pool -> dropout(0.2) -> linear(classes)
}
