// One WS(10000, 4, 0.75) stage: the compiler's instruction-count benchmark
// (valgrind --tool=callgrind nasc stats|build -O2; BENCHMARKS.md, "Structure").
network ws10k {
    input [3, 32, 32]
    classes 10
    stage stem = conv(3x3, 16) -> bn
    stage g = random(WS(10000, 4, 0.75), 16, stride=1)
    stage head = relu -> global_avg_pool -> linear(classes)
}
