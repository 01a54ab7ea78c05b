// A small member of the DARTS family for Fashion-MNIST (28x28x1, 10 classes): the DARTS_V2
// genotype of specs/darts_v2_cifar.nas in a 5-cell network (normal, reduction, normal,
// reduction, normal), C = 12. Trains on the CPU in minutes per epoch.
//
//   nasc train examples/darts_fmnist.nas --epochs 3

let DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])

network darts_fmnist(C: int = 12, N: int = 1) {
    input [1, 28, 28]
    classes 10

    stage stem = conv(3x3, 3 * C) -> bn
    stage cells = cells(DARTS_V2, convention=darts,
        layout=[normal(C)] * N + [reduce(2 * C)] + [normal(2 * C)] * N + [reduce(4 * C)] + [normal(4 * C)] * N)
    stage head = global_avg_pool -> linear(classes)
}
