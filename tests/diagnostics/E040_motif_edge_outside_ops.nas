// The written edges of a searchable motif are its default genotype: each op must be one of `ops`.
import hier

let m = motif(level=2, nodes=3, edges=[(0, 1, conv_1x1), (1, 2, max_pool_3x3)], ops=[conv_1x1, identity])

network net(C: int = 8) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, C) -> bn -> relu
    stage cell = m
    stage head = global_avg_pool -> linear(classes)
}
