// args: --network mobilenet_v3_large
// MobileNetV3 (Howard et al. 2019), large and small, as torchvision.models builds them: a
// strided 3x3 stem with hard-swish, inverted residual blocks (an optional 1x1 expansion, a
// depthwise k x k conv carrying the stride, squeeze-excitation gated by a hard sigmoid in some,
// a linear 1x1 projection; ReLU or hard-swish), a 1x1 conv to 6x the last width, then a
// classifier of two linear layers with hard-swish and dropout 0.2 between them.
//
//   nasc stats zoo/mobilenet_v3.nas --network mobilenet_v3_large
//   nasc stats zoo/mobilenet_v3.nas --network mobilenet_v3_small

import blocks   // se: squeeze-and-excitation

// torchvision's batch norm for MobileNetV3 (TensorFlow's defaults).
let bn_tf = bn(eps=0.001, momentum=0.01)

// torchvision's `InvertedResidual` of MobileNetV3: `inp` is the input's channel count.
block bneck(inp: int, k: kernel, exp: int, out: int, use_se: bool, act: op, stride: int) {
    input x
    let expand = if(exp == inp, identity, conv(1x1, exp) -> bn_tf -> act)
    let dw = expand -> dw_conv(k, stride=stride) -> bn_tf -> act
    let body = if(use_se, dw -> se(exp, make_divisible(exp / 4, 8), gate=hardsigmoid), dw) -> conv(1x1, out) -> bn_tf
    output x -> if(stride == 1 and inp == out, residual(body), body)
}

network mobilenet_v3_large() {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 16, stride=2) -> bn_tf -> hardswish
    stage b1 = bneck(16, 3, 16, 16, false, relu, 1)
    stage b2 = bneck(16, 3, 64, 24, false, relu, 2) -> bneck(24, 3, 72, 24, false, relu, 1)
    stage b3 = bneck(24, 5, 72, 40, true, relu, 2) -> bneck(40, 5, 120, 40, true, relu, 1) -> bneck(40, 5, 120, 40, true, relu, 1)
    stage b4 = bneck(40, 3, 240, 80, false, hardswish, 2) -> bneck(80, 3, 200, 80, false, hardswish, 1) -> bneck(80, 3, 184, 80, false, hardswish, 1) -> bneck(80, 3, 184, 80, false, hardswish, 1)
    stage b5 = bneck(80, 3, 480, 112, true, hardswish, 1) -> bneck(112, 3, 672, 112, true, hardswish, 1)
    stage b6 = bneck(112, 5, 672, 160, true, hardswish, 2) -> bneck(160, 5, 960, 160, true, hardswish, 1) -> bneck(160, 5, 960, 160, true, hardswish, 1)
    stage last = conv(1x1, 960) -> bn_tf -> hardswish
    stage head = global_avg_pool -> linear(1280) -> hardswish -> dropout(0.2) -> linear(classes)
}

network mobilenet_v3_small() {
    input [3, 224, 224]
    classes 1000

    stage stem = conv(3x3, 16, stride=2) -> bn_tf -> hardswish
    stage b1 = bneck(16, 3, 16, 16, true, relu, 2)
    stage b2 = bneck(16, 3, 72, 24, false, relu, 2) -> bneck(24, 3, 88, 24, false, relu, 1)
    stage b3 = bneck(24, 5, 96, 40, true, hardswish, 2) -> bneck(40, 5, 240, 40, true, hardswish, 1) -> bneck(40, 5, 240, 40, true, hardswish, 1)
    stage b4 = bneck(40, 5, 120, 48, true, hardswish, 1) -> bneck(48, 5, 144, 48, true, hardswish, 1)
    stage b5 = bneck(48, 5, 288, 96, true, hardswish, 2) -> bneck(96, 5, 576, 96, true, hardswish, 1) -> bneck(96, 5, 576, 96, true, hardswish, 1)
    stage last = conv(1x1, 576) -> bn_tf -> hardswish
    stage head = global_avg_pool -> linear(1024) -> hardswish -> dropout(0.2) -> linear(classes)
}
