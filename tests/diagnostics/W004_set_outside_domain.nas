// args: --set w=20
// A --set value off the domain's step: compiled, with a warning (the domain is what search draws).
network net(w: int in 8..64 step 8 = 32) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn -> relu
    stage body = anynet([(1, w, 1.0, 4)], w_in=16)
    stage head = global_avg_pool -> linear(classes)
}
