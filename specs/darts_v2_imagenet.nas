// DARTS (second order), ImageNet mobile setting (Liu, Simonyan, Yang 2019, Table 2): the
// DARTS_V2 genotype in the network of `cnn/model.py` (NetworkImageNet): two stems (3x3
// stride-2 convs to C/2 and C, then a third to C), 14 cells, C = 48, reductions at cells
// L/3 and 2L/3, no auxiliary head. Published: 4.7M parameters, 574M multiply-adds.
//
//   nasc stats specs/darts_v2_imagenet.nas

let DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])

network darts_v2_imagenet(C: int = 48, layers: int = 14) {
    input [3, 224, 224]
    classes 1000

    let n1 = layers / 3
    let n2 = 2 * layers / 3 - n1 - 1
    let n3 = layers - 2 * layers / 3 - 1
    // The first cell reads both stems: h(i-2) = stem0 (56x56), h(i-1) = stem1 (28x28), so
    // its h(i-2) gets a factorised reduction, as after a reduction cell.
    stage stem0 = conv(3x3, C / 2, stride=2) -> bn -> relu -> conv(3x3, C, stride=2) -> bn
    stage stem1 = relu -> conv(3x3, C, stride=2) -> bn
    stage cells = [stem0, stem1] -> cells(DARTS_V2, convention=darts,
        layout=[normal(C)] * n1 + [reduce(2 * C)] + [normal(2 * C)] * n2 + [reduce(4 * C)] + [normal(4 * C)] * n3)
    stage head = global_avg_pool -> linear(classes)
}
