// RandWire, small regime (Xie et al. 2019, Table 2), Watts-Strogatz WS(K=4, P=0.75).
// Published: about 5.6M parameters, 583M FLOPs (multiply-adds), 74.7% top-1 on ImageNet.
//
//   nasc stats specs/randwire_ws.nas
//   nasc build specs/randwire_ws.nas --set C=109 --seed 3 --emit dot -o ws.dot

network randwire_ws(C: int = 78, N: int = 32, K: int = 4, P: float = 0.75, seed: int = 0) {
    input [3, 224, 224]
    classes 1000

    // The paper's node: ReLU -> 3x3 separable conv -> BN, sigmoid-weighted sum of inputs.
    let node_op = relu -> sep_conv(3x3) -> bn

    stage conv1 = conv(3x3, C / 2, stride=2) -> bn
    stage conv2 = relu -> conv(3x3, C, stride=2) -> bn
    stage conv3 = random(WS(N, K, P), C, node=node_op, agg=weighted_sum)
    stage conv4 = random(WS(N, K, P), 2 * C, node=node_op, agg=weighted_sum)
    stage conv5 = random(WS(N, K, P), 4 * C, node=node_op, agg=weighted_sum)
    stage classifier = relu -> conv(1x1, 1280) -> bn -> relu -> global_avg_pool -> linear(classes)
}
