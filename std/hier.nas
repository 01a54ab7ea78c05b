// Level-1 primitives of hierarchical representations (Liu et al. 2018, papers.md §3):
// stride 1, padded to keep the resolution, channels kept (C = the motif's width); convs are
// followed by BN and ReLU. `identity` is the built-in op; `none` (no edge) is written in a
// motif's edge list.

block conv_1x1 {
    input x
    output x -> conv(1x1) -> bn -> relu
}

block dw_conv_3x3 {
    input x
    output x -> dw_conv(3x3) -> bn -> relu
}

block sep_conv_3x3 {
    input x
    output x -> sep_conv(3x3) -> bn -> relu
}

block max_pool_3x3 {
    input x
    output x -> max_pool(3x3, stride=1, padding=1)
}

block avg_pool_3x3 {
    input x
    output x -> avg_pool(3x3, stride=1, padding=1, count_pad=false)
}

// Between cells of the paper's network: a stride-2 3x3 separable conv to C channels.
block reduction(C: int) {
    input x
    output x -> sep_conv(3x3, C, stride=2) -> bn -> relu
}
