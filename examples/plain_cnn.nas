// A plain VGG-style network: no random graph, pools, flatten and a two-layer classifier.
// Width and depth knobs are parameters: nasc stats examples/plain_cnn.nas --set W=64

let block = conv(3x3) -> bn -> relu

network plain_cnn(W: int = 32) {
    input [1, 28, 28]
    classes 10

    stage s1 = conv(3x3, W) -> bn -> relu -> block -> max_pool(2x2)                        // 14x14
    stage s2 = conv(3x3, 2 * W) -> bn -> relu -> block -> avg_pool(3x3, stride=2, padding=1)  // 7x7
    stage s3 = dw_conv(3x3, multiplier=2) -> conv(1x1, 2 * W) -> bn -> relu
    stage head = flatten -> dropout(0.25) -> linear(128) -> relu -> linear(classes)
}
