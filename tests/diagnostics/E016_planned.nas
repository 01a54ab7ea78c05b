search evolution {
    population = 100
}

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, choice(16, 32)) -> global_avg_pool -> linear(classes)
}
