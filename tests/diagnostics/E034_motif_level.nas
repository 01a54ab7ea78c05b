import hier

let m2 = motif(level=2, nodes=3, edges=[(0, 1, conv_1x1), (1, 2, sep_conv_3x3)])
// A level-3 motif may only use level-2 motifs: `max_pool_3x3` is a level-1 primitive.
let m3 = motif(level=3, nodes=3, edges=[(0, 1, m2), (1, 2, max_pool_3x3)])

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = conv(3x3, C) -> m3 -> global_avg_pool -> linear(classes)
}
