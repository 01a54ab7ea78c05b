// The AnyNetX_A design space (Radosavovic et al. 2020, papers.md §5) scaled to 28x28 inputs
// for Fashion-MNIST: per stage i, depth d_i, width w_i, bottleneck multiplier b_i (the
// paper's bottleneck ratio 1, 2, 4 is b_i = 1.0, 0.5, 0.25: block width w_i * b_i) and group
// width g_i, all free. The stem keeps the resolution (stride 1) so that four stride-2
// stages fit 28x28. Draws whose bottleneck width is not a multiple of the group width are
// rejected (E037) and counted.
//
//   nasc sample examples/anynetx_a_fmnist.nas -n 16 --flops 0.5M..2M -o runs/anynetx_a

network anynetx_a_fmnist(
    d1: int in 1..3 = 1, d2: int in 1..3 = 1, d3: int in 1..3 = 2, d4: int in 1..3 = 1,
    w1: int in log 8..128 step 8 = 16, w2: int in log 8..128 step 8 = 32,
    w3: int in log 8..128 step 8 = 64, w4: int in log 8..128 step 8 = 128,
    b1: float in {1.0, 0.5, 0.25} = 1.0, b2: float in {1.0, 0.5, 0.25} = 1.0,
    b3: float in {1.0, 0.5, 0.25} = 1.0, b4: float in {1.0, 0.5, 0.25} = 1.0,
    g1: int in {1, 2, 4, 8, 16} = 8, g2: int in {1, 2, 4, 8, 16} = 8,
    g3: int in {1, 2, 4, 8, 16} = 8, g4: int in {1, 2, 4, 8, 16} = 8,
) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet([(d1, w1, b1, g1), (d2, w2, b2, g2), (d3, w3, b3, g3), (d4, w4, b4, g4)], w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
