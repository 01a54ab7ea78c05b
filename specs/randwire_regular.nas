// RandWire, regular regime (Xie et al. 2019, Table 2), WS(K=4, P=0.75).
// C = 109 by default; --set C=154 gives the paper's largest model (about 61.5M params, 7.9G FLOPs).
// conv2 is already a random graph here, with N/2 nodes.

network randwire_regular(C: int = 109, N: int = 32, K: int = 4, P: float = 0.75, seed: int = 0) {
    input [3, 224, 224]
    classes 1000

    let ws = WS(N, K, P)

    stage conv1 = conv(3x3, C / 2, stride=2) -> bn
    stage conv2 = random(WS(N / 2, K, P), C)
    stage conv3 = random(ws, 2 * C)
    stage conv4 = random(ws, 4 * C)
    stage conv5 = random(ws, 8 * C)
    stage classifier = relu -> conv(1x1, 1280) -> bn -> relu -> global_avg_pool -> linear(classes)
}
