// RegNet/AnyNet building blocks (Radosavovic et al. 2020, papers.md §5), as pycls and
// torchvision build them. `anynet(stages, ...)` stacks `stage` blocks; `regnet(...)` gives the
// stages of a RegNet.

// Squeeze-excitation on C channels: global pool, 1x1 conv to w_se, ReLU, 1x1 conv back to C,
// sigmoid, channel-wise multiply.
block se(C: int, w_se: int) {
    input x
    let gate = x -> global_avg_pool(keepdim=true) -> conv(1x1, w_se, bias=true) -> relu -> conv(1x1, C, bias=true) -> sigmoid
    output x * gate
}

// The X block (ResNeXt bottleneck): 1x1 conv, 3x3 group conv (group width g, carrying the
// stride), 1x1 conv, BN after each, ReLU after the first two and after the residual add; a
// 1x1 conv + BN projection when the shape changes. se_ratio > 0 makes it a Y block: SE of
// width se_ratio x w_in after the 3x3 conv.
block x_block(w_in: int, w_out: int, stride: int = 1, bottleneck: float = 1.0, group_width: int = 16, se_ratio: float = 0.0) {
    input x
    let w_b = round(w_out * bottleneck)
    let gate = if(se_ratio > 0, se(w_b, round(se_ratio * w_in)), identity)
    let f = conv(1x1, w_b) -> bn -> relu -> conv(3x3, w_b, stride=stride, groups=w_b / group_width) -> bn -> relu -> gate -> conv(1x1, w_out) -> bn
    output x -> residual(f) -> relu
}

// The Y block: an X block with squeeze-excitation (ratio 0.25).
block y_block(w_in: int, w_out: int, stride: int = 1, bottleneck: float = 1.0, group_width: int = 16, se_ratio: float = 0.25) {
    input x
    output x -> x_block(w_in, w_out, stride, bottleneck, group_width, se_ratio)
}

// One AnyNet stage: `depth` blocks of width w; the first maps w_in to w with stride 2.
block anynet_stage(w_in: int, depth: int, w: int, bottleneck: float = 1.0, group_width: int = 16, se_ratio: float = 0.0) {
    input x
    output x -> repeat(depth, x_block(w, w, 1, bottleneck, group_width, se_ratio), first=x_block(w_in, w, 2, bottleneck, group_width, se_ratio))
}
