// A cell stack whose genotype mixes the DARTS op set with a block of this file: op names
// are looked up among the file's blocks first, then in the convention's library
// (std/darts.nas). `none` is DARTS's zero op; `identity_or_pool` is ours.
//
//   nasc stats examples/custom_cell.nas

block identity_or_pool(_C: int, stride: int = 1) {   // cell ops take (C, stride)
    input x
    output x -> if(stride == 1, identity, avg_pool(3x3, stride=2, padding=1, count_pad=false))
}

let G = Genotype(
    normal=[('sep_conv_3x3', 0), ('identity_or_pool', 1), ('dil_conv_5x5', 1), ('none', 0),
        ('conv_7x1_1x7', 2), ('sep_conv_5x5', 3)],
    normal_concat=[2, 3, 4],
    reduce=[('max_pool_3x3', 0), ('identity_or_pool', 1), ('sep_conv_7x7', 2), ('avg_pool_3x3', 1),
        ('skip_connect', 3), ('none', 2)],
    reduce_concat=[2, 3, 4])

network custom_cell(C: int = 8) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, 2 * C) -> bn
    stage cells = cells(G, convention=darts, layout=[normal(C), reduce(2 * C), normal(2 * C)])
    stage head = global_avg_pool -> linear(classes)
}
