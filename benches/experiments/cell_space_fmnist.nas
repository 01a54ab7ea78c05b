// A small NASNet/DARTS cell search space on Fashion-MNIST (issue 27's strategy comparison):
// both cells open, 3 blocks of 2 inputs, each input's op one of four and its state any
// earlier one. `nasc space` counts it; `benches/experiments/strategies.sh` searches it.
let G = Genotype(ops=['sep_conv_3x3', 'max_pool_3x3', 'skip_connect', 'avg_pool_3x3'], blocks=3)

network cell_space(C: int = 8) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, 3 * C) -> bn
    stage cells = cells(G, layout=[normal(C), reduce(2 * C), normal(2 * C)], convention=darts)
    stage head = global_avg_pool -> linear(classes)
}
