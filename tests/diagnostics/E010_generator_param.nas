// Every generator parameter is checked at the span of the argument.
network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage a = random(WS(16, 5, 0.75), C)
    stage b = random(WS(16, 16, 0.75), C)
    stage c = random(ER(1, 0.2), C)
    stage d = random(ER(16, -0.1), 2 * C)
    stage e = random(BA(16, 16), 2 * C)
    stage head = global_avg_pool -> linear(classes)
}
