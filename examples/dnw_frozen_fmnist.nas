// specs/dnw_fmnist.nas after a short training run, frozen with
// `nasc freeze specs/dnw_fmnist.nas --weights runs/NAME/model.bpk -o frozen.nas`: each
// learned(...) stage became wired(...) with the 24 edges it had chosen (vertex 0 is the
// stage input, 1..11 the nodes, 12 the output), and the parameters only the learned stages
// used (N, K, wiring) were dropped. An ordinary spec: it builds, emits Burn code and trains.

network dnw_fmnist(C: int = 16, seed: int = 0) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C, stride=2) -> bn                        // 14x14
    stage graph1 = wired(nodes=11, edges=[2 -> 3, 2 -> 4, 0 -> 5, 2 -> 5, 4 -> 6, 0 -> 7, 3 -> 7, 4 -> 7, 5 -> 7, 6 -> 7, 1 -> 8, 7 -> 8, 0 -> 9, 1 -> 10, 3 -> 10, 8 -> 10, 0 -> 11, 2 -> 11, 3 -> 11, 4 -> 11, 8 -> 11, 10 -> 11, 3 -> 12, 5 -> 12])          // 14x14
    stage down = relu -> conv(1x1, 2 * C) -> bn -> max_pool(2x2, padding=1)  // 8x8
    stage graph2 = wired(nodes=11, edges=[0 -> 3, 2 -> 3, 0 -> 4, 1 -> 5, 3 -> 5, 1 -> 6, 3 -> 6, 0 -> 7, 6 -> 7, 0 -> 8, 2 -> 8, 2 -> 9, 3 -> 9, 4 -> 9, 5 -> 9, 6 -> 9, 3 -> 10, 5 -> 10, 6 -> 11, 8 -> 11, 2 -> 12, 3 -> 12, 5 -> 12, 11 -> 12])          // 8x8
    stage head = relu -> global_avg_pool -> linear(classes)
}
