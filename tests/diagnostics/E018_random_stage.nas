// An unpadded 5x5 conv in the node op cannot run on the 4x4 input of a stride-2 stage.
network net(C: int = 8) {
    input [1, 4, 4]
    classes 10
    stage a = random(WS(8, 4, 0.5), C, node=relu -> conv(5x5, padding=0) -> bn)
    stage head = global_avg_pool -> linear(classes)
}
