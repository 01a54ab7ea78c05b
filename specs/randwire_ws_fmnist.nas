// A small randomly wired network of the RandWire family for Fashion-MNIST (28x28x1,
// 10 classes), sized to train on a 2-core CPU: a conv stem, then three WS(K=4, P=0.75)
// random stages that halve the resolution (14x14, 7x7, 4x4) and double the width. K and P
// carry the grid of the paper's WS study (k even, below N), so `nasc search` can search it.

network randwire_ws_fmnist(C: int = 32, N: int = 8, K: int in {2, 4, 6} = 4, P: float in {0.0, 0.25, 0.5, 0.75, 1.0} = 0.75, seed: int = 0) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, C / 2) -> bn                 // 28x28
    stage rw1 = random(WS(N, K, P), C)                   // 14x14
    stage rw2 = random(WS(N, K, P), 2 * C)               // 7x7
    stage rw3 = random(WS(N, K, P), 4 * C)               // 4x4
    stage head = relu -> global_avg_pool -> dropout(0.1) -> linear(classes)
}
