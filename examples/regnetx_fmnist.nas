// The RegNetX design space (Radosavovic et al. 2020, papers.md §5) scaled to 28x28 inputs
// for Fashion-MNIST: five parameters (depth, w0, wa, wm, group width) instead of AnyNetX_A's
// sixteen; the width rule sets every stage. The stem keeps the resolution (stride 1).
//
//   nasc sample examples/regnetx_fmnist.nas -n 16 --flops 0.5M..2M -o runs/regnetx

network regnetx_fmnist(
    depth: int in 4..12 = 6,
    w0: int in log 8..64 step 8 = 16,
    wa: float in log 4.0..64.0 = 12.0,
    wm: float in 1.5..3.0 = 2.0,
    group_width: int in {1, 2, 4, 8, 16} = 8,
) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet(regnet(depth, w0, wa, wm, group_width), w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
