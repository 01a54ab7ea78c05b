// A searchable motif (`ops=`) must be the whole value of a `let`: its sites are named after it.
import hier

network net(C: int = 8) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, C) -> bn -> relu
    stage cell = motif(level=2, nodes=3, ops=[conv_1x1, identity])
    stage head = global_avg_pool -> linear(classes)
}
