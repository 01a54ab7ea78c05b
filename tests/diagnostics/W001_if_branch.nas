// args: --set deep=0
// W001 goes by what the spec mentions, not by what these values evaluate: `wide` is used in
// the branch `deep=0` does not take, so only `spare` is reported, whatever `--set` says.
let wide = conv(3x3, 64) -> bn -> relu
let narrow = conv(3x3, 16) -> bn -> relu
let spare = relu -> bn

network net(deep: int in {0, 1} = 1) {
    input [3, 32, 32]
    classes 10
    stage s = if(deep == 1, wide, narrow)
    stage head = global_avg_pool -> linear(classes)
}
