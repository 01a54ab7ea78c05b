// The AnyNetX_E design space (Radosavovic et al. 2020, papers.md §5) at 28x28: AnyNetX_A
// with the paper's refinements as constraints — one bottleneck multiplier and one group
// width shared by all stages (X_B, X_C), widths (X_D) and depths (X_E) that never decrease.
// Draws that break a `require` are rejected and counted by `nasc sample` (about 1 draw in
// 170 is kept, so allow more draws than the default 100 per sample).
//
//   nasc sample examples/anynetx_e_fmnist.nas -n 16 --flops 0.5M..2M --max-draws 10000 -o runs/anynetx_e

network anynetx_e_fmnist(
    d1: int in 1..3 = 1, d2: int in 1..3 = 1, d3: int in 1..3 = 2, d4: int in 1..3 = 2,
    w1: int in log 8..128 step 8 = 16, w2: int in log 8..128 step 8 = 32,
    w3: int in log 8..128 step 8 = 64, w4: int in log 8..128 step 8 = 128,
    b: float in {1.0, 0.5, 0.25} = 1.0,
    g: int in {1, 2, 4, 8, 16} = 8,
) {
    input [1, 28, 28]
    classes 10

    require w1 <= w2, "widths never decrease (AnyNetX_D)"
    require w2 <= w3, "widths never decrease (AnyNetX_D)"
    require w3 <= w4, "widths never decrease (AnyNetX_D)"
    require d1 <= d2, "depths never decrease (AnyNetX_E)"
    require d2 <= d3, "depths never decrease (AnyNetX_E)"
    require d3 <= d4, "depths never decrease (AnyNetX_E)"

    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet([(d1, w1, b, g), (d2, w2, b, g), (d3, w3, b, g), (d4, w4, b, g)], w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
