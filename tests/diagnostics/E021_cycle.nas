network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = random(graph(4, [0 -> 1 -> 2, 2 -> 3 -> 1]), C)
    stage head = global_avg_pool -> linear(classes)
}
