import hier

let m = motif(level=2, nodes=3, edges=[(0, 1, conv_1x1), (1, 2, none), (0, 2, none)])

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> m -> global_avg_pool -> linear(classes)
}
