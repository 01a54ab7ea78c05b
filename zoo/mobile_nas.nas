// args: --network fbnetc_100
// The mobile networks NAS found that timm ships (timm's `_gen_*` architecture definitions),
// from its MobileNet-style blocks: `ds` (timm's DepthwiseSeparableConv) and `ir` (its
// InvertedResidual, which keeps the 1x1 expansion conv even at expansion 1), ReLU, no
// squeeze-excitation, a 1x1 head conv, global average pooling and a linear classifier.
//
//   nasc stats zoo/mobile_nas.nas --network fbnetc_100     # FBNet-C (Wu et al. 2019)
//   nasc stats zoo/mobile_nas.nas --network spnasnet_100   # Single-Path NAS (Stamoulis et al. 2019)
//   nasc stats zoo/mobile_nas.nas --network mixnet_s       # MixNet-S (Tan & Le 2019)
//
// MixNet's mixed depthwise convs split the channels into equal groups (`chunk`), one kernel
// size each (3, 5, 7, ...), concatenated; its grouped pointwise convs (timm's `a1.1`,
// `p1.1`) are `conv(1x1, C, groups=2)`, the same function and parameters.

import blocks   // se: squeeze-and-excitation (timm's SqueezeExcite)

// timm's `DepthwiseSeparableConv` without squeeze-excitation (`noskip`: never added back).
block ds(inp: int, out: int, k: kernel, stride: int, noskip: bool = false) {
    input x
    let body = dw_conv(k, stride=stride) -> bn -> relu -> conv(1x1, out) -> bn
    output x -> if(not noskip and stride == 1 and inp == out, residual(body), body)
}

// timm's `InvertedResidual` without squeeze-excitation: expansion `e`.
block ir(inp: int, out: int, k: kernel, stride: int, e: int) {
    input x
    let body = conv(1x1, make_divisible(inp * e, 8)) -> bn -> relu -> dw_conv(k, stride=stride) -> bn -> relu -> conv(1x1, out) -> bn
    output x -> if(stride == 1 and inp == out, residual(body), body)
}

// `n` inverted residuals of width `out`, the first from `inp` with `stride`.
block ir_stack(inp: int, out: int, k: kernel, stride: int, e: int, n: int) {
    input x
    output x -> repeat(n, ir(out, out, k, 1, e), first=ir(inp, out, k, stride, e))
}

network fbnetc_100() {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 16, stride=2) -> bn -> relu
    stage s0 = ir(16, 16, 3, 1, 1)
    stage s1 = ir(16, 24, 3, 2, 6) -> ir_stack(24, 24, 3, 1, 1, 2)
    stage s2 = ir(24, 32, 5, 2, 6) -> ir(32, 32, 5, 1, 3) -> ir(32, 32, 5, 1, 6) -> ir(32, 32, 3, 1, 6)
    stage s3 = ir(32, 64, 5, 2, 6) -> ir(64, 64, 5, 1, 3) -> ir_stack(64, 64, 5, 1, 6, 2)
    stage s4 = ir_stack(64, 112, 5, 1, 6, 3) -> ir(112, 112, 5, 1, 3)
    stage s5 = ir_stack(112, 184, 5, 2, 6, 4)
    stage s6 = ir(184, 352, 3, 1, 6)
    stage head = conv(1x1, 1984) -> bn -> relu -> global_avg_pool -> linear(classes)
}

network spnasnet_100() {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 32, stride=2) -> bn -> relu
    stage s0 = ds(32, 16, 3, 1, noskip=true)
    stage s1 = ir_stack(16, 24, 3, 2, 3, 3)
    stage s2 = ir(24, 40, 5, 2, 6) -> ir_stack(40, 40, 3, 1, 3, 3)
    stage s3 = ir(40, 80, 5, 2, 6) -> ir_stack(80, 80, 3, 1, 3, 3)
    stage s4 = ir(80, 96, 5, 1, 6) -> ir_stack(96, 96, 5, 1, 3, 3)
    stage s5 = ir_stack(96, 192, 5, 2, 6, 4)
    stage s6 = ir(192, 320, 3, 1, 6)
    stage head = conv(1x1, 1280) -> bn -> relu -> global_avg_pool -> linear(classes)
}

// MixNet's mixed depthwise conv: `n` equal channel groups with kernels 3, 5, ..., 2n+1.
block mixed_dw(n: int, stride: int) {
    input x
    let s = stride
    output if(n == 1, x -> dw_conv(3x3, stride=s),
        if(n == 2, concat(x -> chunk(0, 2) -> dw_conv(3x3, stride=s), x -> chunk(1, 2) -> dw_conv(5x5, stride=s)),
            if(n == 3, concat(x -> chunk(0, 3) -> dw_conv(3x3, stride=s), x -> chunk(1, 3) -> dw_conv(5x5, stride=s), x -> chunk(2, 3) -> dw_conv(7x7, stride=s)),
                if(n == 4, concat(x -> chunk(0, 4) -> dw_conv(3x3, stride=s), x -> chunk(1, 4) -> dw_conv(5x5, stride=s), x -> chunk(2, 4) -> dw_conv(7x7, stride=s), x -> chunk(3, 4) -> dw_conv(9x9, stride=s)),
                    concat(x -> chunk(0, 5) -> dw_conv(3x3, stride=s), x -> chunk(1, 5) -> dw_conv(5x5, stride=s), x -> chunk(2, 5) -> dw_conv(7x7, stride=s), x -> chunk(3, 5) -> dw_conv(9x9, stride=s), x -> chunk(4, 5) -> dw_conv(11x11, stride=s))))))
}

// MixNet's inverted residual: `n` depthwise kernels, expansion `e`, `a`/`p` groups of the
// expansion/projection convs, squeeze-excitation to `se_ratio` of the input's channels (0:
// none).
block mix_ir(inp: int, out: int, n: int, stride: int, e: int, a: int, p: int, se_ratio: float, act: op) {
    input x
    let mid = inp * e
    let d = x -> conv(1x1, mid, groups=a) -> bn -> act -> mixed_dw(n, stride) -> bn -> act
    let y = if(se_ratio > 0, d -> se(mid, round(inp * se_ratio), act=act), d) -> conv(1x1, out, groups=p) -> bn
    output if(stride == 1 and inp == out, x + y, y)
}

network mixnet_s() {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 16, stride=2) -> bn -> relu
    stage s0 = ds(16, 16, 3, 1)
    stage s1 = mix_ir(16, 24, 1, 2, 6, 2, 2, 0.0, relu) -> mix_ir(24, 24, 1, 1, 3, 2, 2, 0.0, relu)
    stage s2 = mix_ir(24, 40, 3, 2, 6, 1, 1, 0.5, silu) -> repeat(3, mix_ir(40, 40, 2, 1, 6, 2, 2, 0.5, silu))
    stage s3 = mix_ir(40, 80, 3, 2, 6, 1, 2, 0.25, silu) -> repeat(2, mix_ir(80, 80, 2, 1, 6, 1, 2, 0.25, silu))
    stage s4 = mix_ir(80, 120, 3, 1, 6, 2, 2, 0.5, silu) -> repeat(2, mix_ir(120, 120, 4, 1, 3, 2, 2, 0.5, silu))
    stage s5 = mix_ir(120, 200, 5, 2, 6, 1, 1, 0.5, silu) -> repeat(2, mix_ir(200, 200, 4, 1, 6, 1, 2, 0.5, silu))
    stage head = conv(1x1, 1536) -> bn -> relu -> global_avg_pool -> linear(classes)
}
