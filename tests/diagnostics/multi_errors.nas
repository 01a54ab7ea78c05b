// Several independent errors in one file are all reported in one run.
network net(C: int = 16, P: float = 0.75) {
    input [3, 32, 32]
    classes 10
    stage a = conv(3x3, C, stirde=2) -> bnn
    stage b = random(WS(8, 4, P * 2), C) -> random(ER(8, 0.2), C, node=relu)
    stage c = global_avg_pool -> linear(classes, bias=1)
}
