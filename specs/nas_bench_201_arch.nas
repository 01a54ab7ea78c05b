// NAS-Bench-201 (Dong & Yang 2020) from its published encoding: the cell as xautodl's arch
// string, pasted verbatim —
//
//   nasc stats specs/nas_bench_201_arch.nas \
//       --set arch='|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|'
//
// — on the same skeleton as specs/nas_bench_201.nas (whose six edge parameters make the
// space searchable; the two compile to the same network for the same cell, which the tests
// check). A malformed string is E031, naming the node and edge. The default is the cell
// specs/nas_bench_201.nas defaults to.
import nb201

network nas_bench_201_arch(
    C: int = 16,
    N: int = 5,
    arch: str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
) {
    input [3, 32, 32]
    classes 10

    let c = nb201_cell(arch)
    stage stem = conv(3x3, C) -> bn
    stage stage1 = repeat(N, c)
    stage reduce1 = reduction(2 * C)
    stage stage2 = repeat(N, c)
    stage reduce2 = reduction(4 * C)
    stage stage3 = repeat(N, c)
    stage head = bn -> relu -> global_avg_pool -> linear(classes)
}
