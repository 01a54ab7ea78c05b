// NAS-Bench-101 (Ying et al., ICML 2019) as a space to sample and search: the cell's 21
// possible edges (`eI_J`: vertex I feeds vertex J, 0 or 1) and its five vertex ops (`vK`)
// are parameters, the benchmark's limit of 9 edges a `require`; a draw without a path from
// the input to the output is E031 and so refused like a `require`. The skeleton and the cell
// rules are specs/nas_bench_101.nas's (which takes nasbench's encoding pasted verbatim); the
// defaults are the same cell (nasbench's README example). Vertices off every input-to-output
// path are pruned, so distinct draws can build the same network (`nasc sample` counts them
// as duplicates).
//
//   nasc sample specs/nas_bench_101_space.nas -n 20 -o nb101
//   nasc search specs/nas_bench_101_space.nas --store sqlite:nb101.db --evaluations 64

network nas_bench_101_space(
    e0_1: int in {0, 1} = 1, e0_2: int in {0, 1} = 1, e0_3: int in {0, 1} = 1, e0_4: int in {0, 1} = 0, e0_5: int in {0, 1} = 1, e0_6: int in {0, 1} = 0,
    e1_2: int in {0, 1} = 0, e1_3: int in {0, 1} = 0, e1_4: int in {0, 1} = 0, e1_5: int in {0, 1} = 0, e1_6: int in {0, 1} = 1,
    e2_3: int in {0, 1} = 0, e2_4: int in {0, 1} = 0, e2_5: int in {0, 1} = 0, e2_6: int in {0, 1} = 1,
    e3_4: int in {0, 1} = 1, e3_5: int in {0, 1} = 0, e3_6: int in {0, 1} = 0,
    e4_5: int in {0, 1} = 0, e4_6: int in {0, 1} = 1,
    e5_6: int in {0, 1} = 1,
    v1: {conv3x3, conv1x1, maxpool3x3} = conv1x1,
    v2: {conv3x3, conv1x1, maxpool3x3} = conv3x3,
    v3: {conv3x3, conv1x1, maxpool3x3} = conv3x3,
    v4: {conv3x3, conv1x1, maxpool3x3} = conv3x3,
    v5: {conv3x3, conv1x1, maxpool3x3} = maxpool3x3,
    C: int = 128,
) {
    require e0_1 + e0_2 + e0_3 + e0_4 + e0_5 + e0_6 + e1_2 + e1_3 + e1_4 + e1_5 + e1_6 + e2_3 + e2_4 + e2_5 + e2_6 + e3_4 + e3_5 + e3_6 + e4_5 + e4_6 + e5_6 <= 9, "NAS-Bench-101 cells have at most 9 edges"

    input [3, 32, 32]
    classes 10

    let matrix = [
        [0, e0_1, e0_2, e0_3, e0_4, e0_5, e0_6],
        [0, 0, e1_2, e1_3, e1_4, e1_5, e1_6],
        [0, 0, 0, e2_3, e2_4, e2_5, e2_6],
        [0, 0, 0, 0, e3_4, e3_5, e3_6],
        [0, 0, 0, 0, 0, e4_5, e4_6],
        [0, 0, 0, 0, 0, 0, e5_6],
        [0, 0, 0, 0, 0, 0, 0],
    ]
    let ops = ["input", v1, v2, v3, v4, v5, "output"]
    stage stem = conv(3x3, C) -> bn -> relu
    stage stack1 = repeat(3, nb101_cell(matrix, ops, C))
    stage stack2 = max_pool(2x2, stride=2) -> repeat(3, nb101_cell(matrix, ops, 2 * C))
    stage stack3 = max_pool(2x2, stride=2) -> repeat(3, nb101_cell(matrix, ops, 4 * C))
    stage head = global_avg_pool -> linear(classes)
}
