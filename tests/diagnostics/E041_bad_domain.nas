// Malformed domains: an empty range and a log range through zero.
network net(d: int in 8..4 = 4, w0: float in log 0.0..8.0 = 2.0) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, d) -> bn -> global_avg_pool -> linear(classes)
    let _unused = w0
}
