// GoogLeNet (Szegedy et al. 2015, Inception v1) as torchvision.models builds it without the
// auxiliary classifiers (`aux_logits=False`, as its published weights): a 7x7 stem, max pools
// that round their output size up (`ceil=true`), nine Inception modules (four branches
// concatenated: a 1x1 conv; 1x1 then 3x3; 1x1 then 3x3 again — torchvision's documented
// stand-in for the paper's 5x5; a 3x3 max pool then 1x1), each conv BN-ReLU, then global
// average pooling, dropout 0.2 and a linear classifier.
//
//   nasc stats zoo/googlenet.nas
// Its batch norms use eps 0.001, as torchvision's.

// torchvision's `BasicConv2d`: conv (no bias), BN, ReLU.
block basic_conv(C: int, k: kernel, stride: int = 1) {
    input x
    output x -> conv(k, C, stride=stride) -> bn(eps=0.001) -> relu
}

// torchvision's `Inception`.
block inception(c1: int, c3r: int, c3: int, c5r: int, c5: int, proj: int) {
    input x
    output concat(
        x -> basic_conv(c1, 1x1),
        x -> basic_conv(c3r, 1x1) -> basic_conv(c3, 3x3),
        x -> basic_conv(c5r, 1x1) -> basic_conv(c5, 3x3),
        x -> max_pool(3x3, stride=1, padding=1, ceil=true) -> basic_conv(proj, 1x1),
    )
}

network googlenet() {
    input [3, 224, 224]
    classes 1000

    let pool = max_pool(3x3, stride=2, ceil=true)
    stage stem = basic_conv(64, 7x7, stride=2) -> pool -> basic_conv(64, 1x1) -> basic_conv(192, 3x3) -> pool
    stage s3 = inception(64, 96, 128, 16, 32, 32) -> inception(128, 128, 192, 32, 96, 64) -> pool
    stage s4 = inception(192, 96, 208, 16, 48, 64) -> inception(160, 112, 224, 24, 64, 64)
        -> inception(128, 128, 256, 24, 64, 64) -> inception(112, 144, 288, 32, 64, 64)
        -> inception(256, 160, 320, 32, 128, 128) -> max_pool(2x2, stride=2, ceil=true)
    stage s5 = inception(256, 160, 320, 32, 128, 128) -> inception(384, 192, 384, 48, 128, 128)
    stage head = global_avg_pool -> dropout(0.2) -> linear(classes)
}
