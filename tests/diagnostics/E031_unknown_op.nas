let G = Genotype(normal=[('sep_conv_3x3', 0), ('skip_conect', 1)], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)])

network net(C: int = 16) {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, C) -> bn
    stage cells = cells(G, convention=darts, layout=[normal(C), reduce(2 * C)])
    stage head = global_avg_pool -> linear(classes)
}
