// args: --set C=2.5
// A --set of the wrong type is reported once; the block it feeds is not "missing" it.
import blocks

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage s = basic(C)
    stage head = global_avg_pool -> linear(classes)
}
