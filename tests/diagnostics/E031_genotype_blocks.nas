// A searchable genotype's written cells are its default: they must have `blocks` blocks.
let G = Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)],
                 ops=['sep_conv_3x3', 'max_pool_3x3', 'skip_connect'], blocks=2)

network net(C: int = 8) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, 2 * C) -> bn
    stage cells = cells(G, convention=darts, layout=[normal(C), reduce(2 * C)])
    stage head = global_avg_pool -> linear(classes)
}
