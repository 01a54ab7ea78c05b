// A small learned-wiring network (papers.md §4, Discovering Neural Wirings) for
// Fashion-MNIST (28x28x1, 10 classes), sized to train on a 2-core CPU. Two graph stages of
// N nodes each (ReLU -> 3x3 separable conv -> BN, RandWire's node op) learn which K of the
// (N + 1)(N + 2) / 2 = 78 forward edges to use while the weights train.
// `--set wiring=random` gives the paper's baseline: the same nodes, ops and edge count,
// with K edges drawn at random once and kept.

network dnw_fmnist(C: int = 16, N: int = 11, K: int = 24, wiring: {learned, random} = learned, seed: int = 0) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C, stride=2) -> bn                        // 14x14
    stage graph1 = learned(nodes=N, edges=K, wiring=wiring)          // 14x14
    stage down = relu -> conv(1x1, 2 * C) -> bn -> max_pool(2x2, padding=1)  // 8x8
    stage graph2 = learned(nodes=N, edges=K, wiring=wiring)          // 8x8
    stage head = relu -> global_avg_pool -> linear(classes)
}
