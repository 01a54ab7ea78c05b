// RandWire, small regime (Xie et al. 2019, Table 2), Barabasi-Albert BA(M=5).

network randwire_ba(C: int = 78, N: int = 32, M: int = 5, seed: int = 0) {
    input [3, 224, 224]
    classes 1000

    stage conv1 = conv(3x3, C / 2, stride=2) -> bn
    stage conv2 = relu -> conv(3x3, C, stride=2) -> bn
    stage conv3 = random(BA(N, M), C)
    stage conv4 = random(BA(N, M), 2 * C)
    stage conv5 = random(BA(N, M), 4 * C)
    stage classifier = relu -> conv(1x1, 1280) -> bn -> relu -> global_avg_pool -> linear(classes)
}
