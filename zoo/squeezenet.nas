// SqueezeNet (Iandola et al. 2016) as torchvision.models builds it: Fire modules (a 1x1
// squeeze conv, then 1x1 and 3x3 expand convs side by side, concatenated; biased convs and
// ReLU, no batch norm) between max pools that round their output size up (`ceil=true`, as
// PyTorch's ceil_mode), and a classifier of dropout, a 1x1 conv to the classes, ReLU and
// global average pooling. 1.1 is 1.0 with a 3x3 stem and earlier pooling (2.4x less
// computation, the same accuracy):
//
//   nasc stats zoo/squeezenet.nas --preset squeezenet1_1

// torchvision's `Fire`.
block fire(squeeze: int, e1: int, e3: int) {
    input x
    let s = x -> conv(1x1, squeeze, bias=true) -> relu
    output concat(s -> conv(1x1, e1, bias=true) -> relu, s -> conv(3x3, e3, bias=true) -> relu)
}

network squeezenet(version: float in {1.0, 1.1} = 1.0) {
    preset squeezenet1_0(version=1.0)
    preset squeezenet1_1(version=1.1)

    input [3, 224, 224]
    classes 1000

    let pool = max_pool(3x3, stride=2, ceil=true)
    stage features = if(version == 1.0,
        conv(7x7, 96, stride=2, padding=0, bias=true) -> relu -> pool
            -> fire(16, 64, 64) -> fire(16, 64, 64) -> fire(32, 128, 128) -> pool
            -> fire(32, 128, 128) -> fire(48, 192, 192) -> fire(48, 192, 192) -> fire(64, 256, 256) -> pool
            -> fire(64, 256, 256),
        conv(3x3, 64, stride=2, padding=0, bias=true) -> relu -> pool
            -> fire(16, 64, 64) -> fire(16, 64, 64) -> pool
            -> fire(32, 128, 128) -> fire(32, 128, 128) -> pool
            -> fire(48, 192, 192) -> fire(48, 192, 192) -> fire(64, 256, 256) -> fire(64, 256, 256))
    stage classifier = dropout(0.5) -> conv(1x1, classes, bias=true) -> relu -> global_avg_pool
}
