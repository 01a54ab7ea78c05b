// Shapes that grow past the tensor limits are refused at the op that grows them.
network net(C: int = 16) {
    input [3, 8192, 8192]
    classes 10
    stage s = conv(3x3, 1024) -> global_avg_pool -> linear(classes)
}
