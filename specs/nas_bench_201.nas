// NAS-Bench-201 (Dong & Yang 2020): the search space of 15,625 cells over the fixed
// skeleton — a 3x3 conv stem of C channels, three stages of N cells with a residual
// reduction block (std/nb201.nas) between them doubling the width, BN + ReLU, global
// average pooling, a linear classifier. A cell is 4 nodes and 6 edges, each edge one of 5
// ops; here each edge is a parameter whose domain is those ops, so `nasc sample` and
// `nasc search` draw cells and `--set e2_1=nor_conv_1x1` picks one. The defaults are the
// cell |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|.
// The benchmark's tabular training results are not available offline (docs/language.md).
import nb201

network nas_bench_201(
    C: int = 16,
    N: int = 5,
    e1_0: op in {none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3} = nor_conv_3x3,
    e2_0: op in {none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3} = nor_conv_3x3,
    e2_1: op in {none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3} = nor_conv_3x3,
    e3_0: op in {none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3} = skip_connect,
    e3_1: op in {none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3} = nor_conv_3x3,
    e3_2: op in {none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3} = nor_conv_3x3,
) {
    input [3, 32, 32]
    classes 10

    let c = cell(e1_0, e2_0, e2_1, e3_0, e3_1, e3_2)
    stage stem = conv(3x3, C) -> bn
    stage stage1 = repeat(N, c)
    stage reduce1 = reduction(2 * C)
    stage stage2 = repeat(N, c)
    stage reduce2 = reduction(4 * C)
    stage stage3 = repeat(N, c)
    stage head = bn -> relu -> global_avg_pool -> linear(classes)
}
