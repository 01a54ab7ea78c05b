// A constraint between parameters (AnyNetXd: widths never decrease).
network net(w1: int in 8..64 step 8 = 48, w2: int in 8..64 step 8 = 32) {
    input [3, 32, 32]
    classes 10
    require w1 <= w2, "stage widths never decrease"
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet([(1, w1, 1.0, 8), (1, w2, 1.0, 8)], w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
