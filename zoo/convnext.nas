// ConvNeXt (Liu et al. 2022) as torchvision.models builds it: a 4x4 stride-4 "patchify" stem
// with a layer norm, four stages of ConvNeXt blocks (a 7x7 depthwise conv, a layer norm over
// the channels, an inverted bottleneck of two pointwise layers — written as biased 1x1 convs,
// the same function and parameters as torchvision's per-position linear layers — with GELU
// between, a learned per-channel layer scale initialised to 1e-6, stochastic depth, the input
// added back), a layer norm and a 2x2 stride-2 conv between stages, then global average
// pooling, a layer norm and a linear classifier. Stochastic depth rises linearly from 0 at
// the first block to the variant's rate at the last (torchvision's rule), through `repeat`'s
// index:
//
//   nasc stats zoo/convnext.nas --preset convnext_small

// torchvision's `CNBlock`: `drop` its stochastic depth.
block cn_block(C: int, drop: float) {
    input x
    output x -> residual(conv(7x7, C, groups=C, bias=true) -> layer_norm(eps=1e-6) -> conv(1x1, 4 * C, bias=true) -> gelu -> conv(1x1, C, bias=true) -> layer_scale(init=1e-6) -> drop_path(drop))
}

// `n` blocks of width C, the network's `b0`-th onwards of `total`.
block cn_stage(C: int, n: int, b0: int, total: int, p: float) {
    input x
    output x -> repeat(n, i => cn_block(C, p * (b0 + i) / (total - 1)))
}

// The layer norm and strided 2x2 conv between stages.
block downsample(C: int) {
    input x
    output x -> layer_norm(eps=1e-6) -> conv(2x2, C, stride=2, padding=0, bias=true)
}

network convnext(C: int = 96, d3: int = 9, stochastic_depth: float = 0.1) {
    preset convnext_tiny(C=96, d3=9, stochastic_depth=0.1)
    preset convnext_small(C=96, d3=27, stochastic_depth=0.4)
    preset convnext_base(C=128, d3=27, stochastic_depth=0.5)
    preset convnext_large(C=192, d3=27, stochastic_depth=0.5)

    input [3, 224, 224]
    classes 1000

    let total = 3 + 3 + d3 + 3
    let p = stochastic_depth
    stage stem = conv(4x4, C, stride=4, padding=0, bias=true) -> layer_norm(eps=1e-6)
    stage s1 = cn_stage(C, 3, 0, total, p)
    stage s2 = downsample(2 * C) -> cn_stage(2 * C, 3, 3, total, p)
    stage s3 = downsample(4 * C) -> cn_stage(4 * C, d3, 6, total, p)
    stage s4 = downsample(8 * C) -> cn_stage(8 * C, 3, 6 + d3, total, p)
    stage head = global_avg_pool -> layer_norm(eps=1e-6) -> linear(classes)
}
