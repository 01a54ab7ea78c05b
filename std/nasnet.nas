// NASNet operations as TF-slim builds them (`nets/nasnet/nasnet_utils.py`), as blocks taking
// the cell's filter count C and the stride (2 on the ops that read a cell input in a
// reduction cell). `cells(..., convention=tf_slim)` looks op names up here. Batch norm has
// scale and shift, convs have no bias, pools exclude padding from averages.

// NASNet's `none` is the identity; when it must stride, ReLU, stride-2 1x1 conv, BN.
block none(C: int, stride: int = 1) {
    input x
    output x -> if(stride == 1, identity, relu -> conv(1x1, C, stride=stride) -> bn)
}

// `separable_KxK_2`: (ReLU, separable conv to C, BN) twice; the first carries the stride.
block separable_3x3_2(C: int, stride: int = 1) {
    input x
    output x -> relu -> sep_conv(3x3, C, stride=stride) -> bn -> relu -> sep_conv(3x3, C) -> bn
}

block separable_5x5_2(C: int, stride: int = 1) {
    input x
    output x -> relu -> sep_conv(5x5, C, stride=stride) -> bn -> relu -> sep_conv(5x5, C) -> bn
}

block separable_7x7_2(C: int, stride: int = 1) {
    input x
    output x -> relu -> sep_conv(7x7, C, stride=stride) -> bn -> relu -> sep_conv(7x7, C) -> bn
}

block avg_pool_3x3(C: int, stride: int = 1) {
    input x
    output x -> avg_pool(3x3, stride=stride, padding=1, count_pad=false)
}

block max_pool_3x3(C: int, stride: int = 1) {
    input x
    output x -> max_pool(3x3, stride=stride, padding=1)
}

// factorized_reduction: two stride-2 1x1 convs (the second on the input shifted by one
// pixel) concatenated, BN; TF-slim applies the ReLU before it.
block factorized_reduce(C: int) {
    input x
    let r = x -> relu
    output concat(r -> conv(1x1, C / 2, stride=2), r -> shift -> conv(1x1, C - C / 2, stride=2)) -> bn
}

// ReLU, 1x1 conv, BN: adjusts a cell input to C filters.
block relu_conv_bn(C: int) {
    input x
    output x -> relu -> conv(1x1, C) -> bn
}
