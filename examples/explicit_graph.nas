// A hand-wired DAG instead of a random one: graph(n, paths) lists edges as paths over
// nodes 0..n-1. Node 0 has no predecessor, so it reads the stage input (and applies the
// stride); nodes 3 and 4 have no successors, so the output node averages them.

let node = relu -> conv(3x3) -> bn              // a plain conv node op

network diamond(C: int = 24) {
    input [3, 32, 32]
    classes 10

    stage stem = conv(3x3, C) -> bn
    stage block = random(graph(5, [0 -> 1 -> 3, 0 -> 2 -> 3, 2 -> 4]), 2 * C, node=node, agg=sum)
    stage head = relu -> global_avg_pool -> linear(classes)
}
