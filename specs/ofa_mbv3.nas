// The Once-for-All MobileNetV3 space (Cai et al. 2020; ProxylessNAS's MBConv space with
// MobileNetV3's activations and squeeze-excitation), as the `ofa` package's
// OFAMobileNetV3(width_mult=1.0, ks_list=[3, 5, 7], expand_ratio_list=[3, 4, 6],
// depth_list=[2, 3, 4]) builds its subnets: a hard-swish stem, a fixed first block, five
// stages of 2-4 MBConv blocks (`d1`..`d5`), each block with its own depthwise kernel
// (`kS_B`: 3, 5, 7) and expansion ratio (`eS_B`: 3, 4, 6) — blocks past a stage's depth are
// left out, so their parameters do not matter — then a 1x1 conv to 960, global average
// pooling, a 1x1 conv to 1280 without batch norm (OFA's feature mix layer) and a linear
// classifier. The defaults are the largest subnet; `nasc sample` draws subnets:
//
//   nasc stats specs/ofa_mbv3.nas --set d1=2 --set k1_1=3 --set e1_1=4
//   nasc sample specs/ofa_mbv3.nas -n 10
//
// Per stage 9^2 + 9^3 + 9^4 = 7,371 choices (a kernel and a ratio per block present), so
// 7,371^5 ≈ 2.2 x 10^19 subnets, the paper's "more than 10^19".

import blocks   // se: squeeze-and-excitation

// OFA's MBConvLayer: a 1x1 expansion to make_divisible(inp x e, 8), the depthwise k x k conv
// (carrying the stride), squeeze-excitation (OFA's SEModule: to make_divisible(mid / 4, 8),
// ReLU, hard sigmoid) where the stage has it, a linear 1x1 projection; the input added back
// when the shape is kept.
block ofa_mb(inp: int, out: int, k: kernel, e: int, stride: int, act: op, use_se: bool) {
    input x
    let mid = make_divisible(inp * e, 8)
    let dw = conv(1x1, mid) -> bn -> act -> dw_conv(k, stride=stride) -> bn -> act
    let body = if(use_se, dw -> se(mid, make_divisible(floor(mid / 4), 8), gate=hardsigmoid), dw) -> conv(1x1, out) -> bn
    output x -> if(stride == 1 and inp == out, residual(body), body)
}

// One stage: its first `d` (2-4) blocks, the first from `inp` channels with `stride`.
block ofa_stage(inp: int, out: int, stride: int, act: op, use_se: bool, d: int, k1: kernel, k2: kernel, k3: kernel, k4: kernel, e1: int, e2: int, e3: int, e4: int) {
    input x
    output x -> ofa_mb(inp, out, k1, e1, stride, act, use_se) -> ofa_mb(out, out, k2, e2, 1, act, use_se) -> if(d >= 3, ofa_mb(out, out, k3, e3, 1, act, use_se), identity) -> if(d >= 4, ofa_mb(out, out, k4, e4, 1, act, use_se), identity)
}

network ofa_mbv3(
    d1: int in {2, 3, 4} = 4,
    d2: int in {2, 3, 4} = 4,
    d3: int in {2, 3, 4} = 4,
    d4: int in {2, 3, 4} = 4,
    d5: int in {2, 3, 4} = 4,
    k1_1: int in {3, 5, 7} = 7, k1_2: int in {3, 5, 7} = 7, k1_3: int in {3, 5, 7} = 7, k1_4: int in {3, 5, 7} = 7,
    k2_1: int in {3, 5, 7} = 7, k2_2: int in {3, 5, 7} = 7, k2_3: int in {3, 5, 7} = 7, k2_4: int in {3, 5, 7} = 7,
    k3_1: int in {3, 5, 7} = 7, k3_2: int in {3, 5, 7} = 7, k3_3: int in {3, 5, 7} = 7, k3_4: int in {3, 5, 7} = 7,
    k4_1: int in {3, 5, 7} = 7, k4_2: int in {3, 5, 7} = 7, k4_3: int in {3, 5, 7} = 7, k4_4: int in {3, 5, 7} = 7,
    k5_1: int in {3, 5, 7} = 7, k5_2: int in {3, 5, 7} = 7, k5_3: int in {3, 5, 7} = 7, k5_4: int in {3, 5, 7} = 7,
    e1_1: int in {3, 4, 6} = 6, e1_2: int in {3, 4, 6} = 6, e1_3: int in {3, 4, 6} = 6, e1_4: int in {3, 4, 6} = 6,
    e2_1: int in {3, 4, 6} = 6, e2_2: int in {3, 4, 6} = 6, e2_3: int in {3, 4, 6} = 6, e2_4: int in {3, 4, 6} = 6,
    e3_1: int in {3, 4, 6} = 6, e3_2: int in {3, 4, 6} = 6, e3_3: int in {3, 4, 6} = 6, e3_4: int in {3, 4, 6} = 6,
    e4_1: int in {3, 4, 6} = 6, e4_2: int in {3, 4, 6} = 6, e4_3: int in {3, 4, 6} = 6, e4_4: int in {3, 4, 6} = 6,
    e5_1: int in {3, 4, 6} = 6, e5_2: int in {3, 4, 6} = 6, e5_3: int in {3, 4, 6} = 6, e5_4: int in {3, 4, 6} = 6,
) {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 16, stride=2) -> bn -> hardswish
    stage first = residual(dw_conv(3x3) -> bn -> relu -> conv(1x1, 16) -> bn)
    stage s1 = ofa_stage(16, 24, 2, relu, false, d1, k1_1, k1_2, k1_3, k1_4, e1_1, e1_2, e1_3, e1_4)
    stage s2 = ofa_stage(24, 40, 2, relu, true, d2, k2_1, k2_2, k2_3, k2_4, e2_1, e2_2, e2_3, e2_4)
    stage s3 = ofa_stage(40, 80, 2, hardswish, false, d3, k3_1, k3_2, k3_3, k3_4, e3_1, e3_2, e3_3, e3_4)
    stage s4 = ofa_stage(80, 112, 1, hardswish, true, d4, k4_1, k4_2, k4_3, k4_4, e4_1, e4_2, e4_3, e4_4)
    stage s5 = ofa_stage(112, 160, 2, hardswish, true, d5, k5_1, k5_2, k5_3, k5_4, e5_1, e5_2, e5_3, e5_4)
    stage head = conv(1x1, 960) -> bn -> hardswish -> global_avg_pool(keepdim=true) -> conv(1x1, 1280) -> hardswish -> global_avg_pool -> linear(classes)
}
