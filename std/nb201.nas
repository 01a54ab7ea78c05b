// NAS-Bench-201 (Dong & Yang, ICLR 2020), as xautodl's `cell_infers` builds it: the five
// candidate ops of an edge, the cell, and the residual reduction block between stages.

// The candidate ops (xautodl `OPS`, stride 1, width kept): `none` gives zeros, `skip_connect`
// the input; convs are ReLU -> conv -> BN (`ReLUConvBN`); the pool leaves padding out of
// its average.
block none {
    input x
    output x -> zero
}

block skip_connect {
    input x
    output x -> identity
}

block nor_conv_1x1 {
    input x
    output x -> relu -> conv(1x1) -> bn
}

block nor_conv_3x3 {
    input x
    output x -> relu -> conv(3x3) -> bn
}

block avg_pool_3x3 {
    input x
    output x -> avg_pool(3x3, stride=1, padding=1, count_pad=false)
}

// The cell: node 0 is the input; node j sums op(j, i) of every earlier node i; node 3 is the
// output. `e<j>_<i>` is the op of the edge from node i to node j (the arch string's
// `|op~i|` in its j-th group).
block cell(e1_0: op, e2_0: op, e2_1: op, e3_0: op, e3_1: op, e3_2: op) {
    input x0
    let x1 = x0 -> e1_0
    let x2 = (x0 -> e2_0) + (x1 -> e2_1)
    output (x0 -> e3_0) + (x1 -> e3_1) + (x2 -> e3_2)
}

// xautodl `ResNetBasicblock` with stride 2: ReLU-conv-BN twice (the first strided) plus a
// shortcut of a 2x2 average pool and a 1x1 conv (no BN); no ReLU after the add.
block reduction(C: int) {
    input x
    let body = x -> relu -> conv(3x3, C, stride=2) -> bn -> relu -> conv(3x3, C) -> bn
    output body + (x -> avg_pool(2x2) -> conv(1x1, C))
}
