// DARTS operations (Liu, Simonyan, Yang 2019; `cnn/operations.py` of the DARTS reference
// code), as blocks taking the cell's channel count C and the stride (2 on the ops that read
// a cell input in a reduction cell). Batch norm is affine, convs have no bias, pools exclude
// padding from averages. `cells(..., convention=darts)` looks op names up here.

block none(C: int, stride: int = 1) {
    input x
    output x -> zero(stride)
}

block avg_pool_3x3(C: int, stride: int = 1) {
    input x
    output x -> avg_pool(3x3, stride=stride, padding=1, count_pad=false)
}

block max_pool_3x3(C: int, stride: int = 1) {
    input x
    output x -> max_pool(3x3, stride=stride, padding=1)
}

// Identity, or a factorised reduction when it must stride.
block skip_connect(C: int, stride: int = 1) {
    input x
    output x -> if(stride == 1, identity, factorized_reduce(C))
}

// SepConv: (ReLU, depthwise kxk, pointwise 1x1, BN) twice; the first carries the stride.
block sep_conv_3x3(C: int, stride: int = 1) {
    input x
    output x -> relu -> dw_conv(3x3, stride=stride) -> conv(1x1) -> bn -> relu -> dw_conv(3x3) -> conv(1x1, C) -> bn
}

block sep_conv_5x5(C: int, stride: int = 1) {
    input x
    output x -> relu -> dw_conv(5x5, stride=stride) -> conv(1x1) -> bn -> relu -> dw_conv(5x5) -> conv(1x1, C) -> bn
}

block sep_conv_7x7(C: int, stride: int = 1) {
    input x
    output x -> relu -> dw_conv(7x7, stride=stride) -> conv(1x1) -> bn -> relu -> dw_conv(7x7) -> conv(1x1, C) -> bn
}

// DilConv: ReLU, depthwise kxk with dilation 2, pointwise 1x1, BN.
block dil_conv_3x3(C: int, stride: int = 1) {
    input x
    output x -> relu -> dw_conv(3x3, stride=stride, dilation=2) -> conv(1x1, C) -> bn
}

block dil_conv_5x5(C: int, stride: int = 1) {
    input x
    output x -> relu -> dw_conv(5x5, stride=stride, dilation=2) -> conv(1x1, C) -> bn
}

// 1x7 then 7x1 conv. The reference code strides (1, s) then (s, 1); nasc's strides are
// square, so the first conv carries the whole stride (same output, parameters and shape).
block conv_7x1_1x7(C: int, stride: int = 1) {
    input x
    output x -> relu -> conv(1x7, C, stride=stride) -> conv(7x1, C) -> bn
}

// FactorizedReduce: ReLU, then two stride-2 1x1 convs, the second on the input shifted by
// one pixel, concatenated, BN. Preprocesses h(i-2) after a reduction cell.
block factorized_reduce(C: int) {
    input x
    let r = x -> relu
    output concat(r -> conv(1x1, C / 2, stride=2), r -> shift -> conv(1x1, C - C / 2, stride=2)) -> bn
}

// ReLUConvBN with a 1x1 conv: the usual preprocessing of a cell input.
block relu_conv_bn(C: int) {
    input x
    output x -> relu -> conv(1x1, C) -> bn
}
