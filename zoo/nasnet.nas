// args: --network nasnetalarge --set res=99
// The two large cell networks of NAS that timm ships (Cadene's ports of the TF-slim models,
// timm's `nasnet.py` and `pnasnet.py`), 331x331x3, 1000 classes, no auxiliary head:
//
//   nasc stats zoo/nasnet.nas --network nasnetalarge    # NASNet-A Large, 6 @ 4032 (Zoph et al. 2018)
//   nasc stats zoo/nasnet.nas --network pnasnet5large   # PNASNet-5 Large (Liu et al. 2018)
//
// `res` is the input resolution (331 as published; the golden files and the export checks pin
// `--set res=99`, whose cell sizes are all odd, to keep the tests' training step small).
//
// Both start with a 3x3 stride-2 conv without padding (96 filters, 165x165), then stem
// cells, then cells that each read the previous two cell outputs (`[x, x_prev] -> cell`,
// one stage per timm cell, named as in timm's `forward_features`), then ReLU, global average
// pooling and a linear classifier (timm's default drop rate is 0: no dropout). Every batch
// norm has eps 0.001 and momentum 0.1, as timm's; convs have no bias. A separable conv
// (timm's `SeparableConv2d`) is a depthwise conv carrying the stride then a pointwise 1x1,
// nasc's `sep_conv`. Parameter counts equal timm's exactly: 88,753,150 and 86,057,668.
//
// Differences from timm (none changes a parameter count; spatial sizes are timm's
// everywhere: 165, 83, 42, 21 and 11):
// - timm builds both with TF "SAME" padding: its stride-2 convs and pools pad dynamically,
//   the extra pixel at the bottom and right when the total is odd. nasc pads k/2 on every
//   side. On odd inputs (165, 83, 21) that is the same padding; on the 42x42 inputs of
//   NASNet's `reduction_cell_0` and PNASNet's `cell_4` TF pads k/2 - 1 at the top and left
//   and k/2 at the bottom and right, so there nasc's stride-2 windows sit one pixel up-left
//   of timm's (same output size, shifted sampling).
// - timm's stride-2 "SAME" average pools (`AvgPool2dSame`) zero-pad before pooling, so the
//   padding is counted in the average despite `count_include_pad=False`; the spec counts it
//   too (`count_pad=true`), which matches timm exactly on odd inputs. Its stride-1 average
//   pools pad statically and exclude the padding (`count_pad=false`), as here.
// - The shifted path of a factorised reduction (timm's `ZeroPad2d((-1, 1, -1, 1))`, then a
//   1x1 average pool of stride 2) is nasc's `shift` then `avg_pool(1x1, stride=2)`: the same.
// Given the same weights, the module `nasc build --emit pytorch` writes computes timm's cell
// outputs exactly up to those 42x42 stride-2 cells, and throughout against timm built with
// symmetric padding (`pad_type=''`; for NASNet, with its stride-2 average pools here switched
// to `count_pad=false`, as that timm build excludes their padding).

// timm's `ActConvBn`: ReLU, conv (1x1 here), BN.
block act_conv_bn(C: int, k: kernel = 1x1, stride: int = 1) {
    input x
    output x -> relu -> conv(k, C, stride=stride) -> bn(eps=0.001)
}

// timm's `BranchSeparables`: (ReLU, separable conv, BN) twice, the first carrying the stride.
// Its middle width is the input's, or C in a stem cell (`stem_cell`).
block branch_separables(C: int, k: kernel, stride: int = 1, stem_cell: bool = false) {
    input x
    let first = if(stem_cell, sep_conv(k, C, stride=stride), sep_conv(k, stride=stride))
    output x -> relu -> first -> bn(eps=0.001) -> relu -> sep_conv(k, C) -> bn(eps=0.001)
}

// PNASNet's `FactorizedReduction` (NASNet's `cell_stem_1` and `first_cell` inline it as
// `path_1`, `path_2`, `final_path_bn`): ReLU, then two stride-2 1x1 paths of C/2 filters,
// the second on the input shifted up-left by a pixel, concatenated, BN.
block factorized_reduction(C: int) {
    input x
    let r = x -> relu
    let path_1 = r -> avg_pool(1x1, stride=2) -> conv(1x1, C / 2)
    let path_2 = r -> shift -> avg_pool(1x1, stride=2) -> conv(1x1, C / 2)
    output concat(path_1, path_2) -> bn(eps=0.001)
}

// ---- NASNet-A Large (timm's `nasnet.py`) ----

// timm's `CellStem0` (its `num_channels` is C): reads the stem conv, halves the resolution,
// 4C filters out.
block cell_stem0(C: int) {
    input x
    let x1 = x -> act_conv_bn(C)
    let comb_iter_0 = (x1 -> branch_separables(C, 5x5, stride=2)) + (x -> branch_separables(C, 7x7, stride=2, stem_cell=true))
    let comb_iter_1 = (x1 -> max_pool(3x3, stride=2, padding=1)) + (x -> branch_separables(C, 7x7, stride=2, stem_cell=true))
    let comb_iter_2 = (x1 -> avg_pool(3x3, stride=2, padding=1, count_pad=true)) + (x -> branch_separables(C, 5x5, stride=2, stem_cell=true))
    let comb_iter_3 = (comb_iter_0 -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + comb_iter_1
    let comb_iter_4 = (comb_iter_0 -> branch_separables(C, 3x3)) + (x1 -> max_pool(3x3, stride=2, padding=1))
    output concat(comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's `CellStem1`: reads the stem conv (factorised reduction to C) and `cell_stem_0`
// (ReLU-1x1 conv-BN to C), halves the resolution, 4C filters out.
block cell_stem1(C: int) {
    input x_conv0, x_stem_0
    let x_left = x_stem_0 -> act_conv_bn(C)
    let x_right = x_conv0 -> factorized_reduction(C)
    let comb_iter_0 = (x_left -> branch_separables(C, 5x5, stride=2)) + (x_right -> branch_separables(C, 7x7, stride=2))
    let comb_iter_1 = (x_left -> max_pool(3x3, stride=2, padding=1)) + (x_right -> branch_separables(C, 7x7, stride=2))
    let comb_iter_2 = (x_left -> avg_pool(3x3, stride=2, padding=1, count_pad=true)) + (x_right -> branch_separables(C, 5x5, stride=2))
    let comb_iter_3 = (comb_iter_0 -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + comb_iter_1
    let comb_iter_4 = (comb_iter_0 -> branch_separables(C, 3x3)) + (x_left -> max_pool(3x3, stride=2, padding=1))
    output concat(comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's `NormalCell` (its out_chs_left = out_chs_right = C): x is the previous cell's
// output, x_prev the one before; 6C filters out.
block normal_cell(C: int) {
    input x, x_prev
    let x_left = x_prev -> act_conv_bn(C)
    let x_right = x -> act_conv_bn(C)
    let comb_iter_0 = (x_right -> branch_separables(C, 5x5)) + (x_left -> branch_separables(C, 3x3))
    let comb_iter_1 = (x_left -> branch_separables(C, 5x5)) + (x_left -> branch_separables(C, 3x3))
    let comb_iter_2 = (x_right -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + x_left
    let comb_iter_3 = (x_left -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + (x_left -> avg_pool(3x3, stride=1, padding=1, count_pad=false))
    let comb_iter_4 = (x_right -> branch_separables(C, 3x3)) + x_right
    output concat(x_left, comb_iter_0, comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's `FirstCell`: a normal cell after a reduction, whose x_prev has twice the
// resolution and is factorised-reduced (out_chs_left = C/2 per path) instead.
block first_cell(C: int) {
    input x, x_prev
    let x_left = x_prev -> factorized_reduction(C)
    let x_right = x -> act_conv_bn(C)
    let comb_iter_0 = (x_right -> branch_separables(C, 5x5)) + (x_left -> branch_separables(C, 3x3))
    let comb_iter_1 = (x_left -> branch_separables(C, 5x5)) + (x_left -> branch_separables(C, 3x3))
    let comb_iter_2 = (x_right -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + x_left
    let comb_iter_3 = (x_left -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + (x_left -> avg_pool(3x3, stride=1, padding=1, count_pad=false))
    let comb_iter_4 = (x_right -> branch_separables(C, 3x3)) + x_right
    output concat(x_left, comb_iter_0, comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's `ReductionCell0`, used for both reductions (its `ReductionCell1` is the same code):
// halves the resolution, 4C filters out.
block reduction_cell0(C: int) {
    input x, x_prev
    let x_left = x_prev -> act_conv_bn(C)
    let x_right = x -> act_conv_bn(C)
    let comb_iter_0 = (x_right -> branch_separables(C, 5x5, stride=2)) + (x_left -> branch_separables(C, 7x7, stride=2))
    let comb_iter_1 = (x_right -> max_pool(3x3, stride=2, padding=1)) + (x_left -> branch_separables(C, 7x7, stride=2))
    let comb_iter_2 = (x_right -> avg_pool(3x3, stride=2, padding=1, count_pad=true)) + (x_left -> branch_separables(C, 5x5, stride=2))
    let comb_iter_3 = (comb_iter_0 -> avg_pool(3x3, stride=1, padding=1, count_pad=false)) + comb_iter_1
    let comb_iter_4 = (comb_iter_0 -> branch_separables(C, 3x3)) + (x_right -> max_pool(3x3, stride=2, padding=1))
    output concat(comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's `NASNetALarge`: C = num_features / 24 = 168 filters per branch in the first
// normal cells, the stem cells at C/4 and C/2 (channel_multiplier 2), doubled at each
// reduction; 6 normal cells per resolution.
network nasnetalarge(stem_size: int = 96, C: int = 168, res: int = 331) {
    input [3, res, res]
    classes 1000

    stage conv0 = conv(3x3, stem_size, stride=2, padding=0) -> bn(eps=0.001)
    stage cell_stem_0 = cell_stem0(C / 4)
    stage cell_stem_1 = [conv0, cell_stem_0] -> cell_stem1(C / 2)

    stage cell_0 = [cell_stem_1, cell_stem_0] -> first_cell(C)
    stage cell_1 = [cell_0, cell_stem_1] -> normal_cell(C)
    stage cell_2 = [cell_1, cell_0] -> normal_cell(C)
    stage cell_3 = [cell_2, cell_1] -> normal_cell(C)
    stage cell_4 = [cell_3, cell_2] -> normal_cell(C)
    stage cell_5 = [cell_4, cell_3] -> normal_cell(C)

    stage reduction_cell_0 = [cell_5, cell_4] -> reduction_cell0(2 * C)
    stage cell_6 = [reduction_cell_0, cell_4] -> first_cell(2 * C)
    stage cell_7 = [cell_6, reduction_cell_0] -> normal_cell(2 * C)
    stage cell_8 = [cell_7, cell_6] -> normal_cell(2 * C)
    stage cell_9 = [cell_8, cell_7] -> normal_cell(2 * C)
    stage cell_10 = [cell_9, cell_8] -> normal_cell(2 * C)
    stage cell_11 = [cell_10, cell_9] -> normal_cell(2 * C)

    stage reduction_cell_1 = [cell_11, cell_10] -> reduction_cell0(4 * C)
    stage cell_12 = [reduction_cell_1, cell_10] -> first_cell(4 * C)
    stage cell_13 = [cell_12, reduction_cell_1] -> normal_cell(4 * C)
    stage cell_14 = [cell_13, cell_12] -> normal_cell(4 * C)
    stage cell_15 = [cell_14, cell_13] -> normal_cell(4 * C)
    stage cell_16 = [cell_15, cell_14] -> normal_cell(4 * C)
    stage cell_17 = [cell_16, cell_15] -> normal_cell(4 * C)

    stage head = relu -> global_avg_pool -> linear(classes)
}

// ---- PNASNet-5 Large (timm's `pnasnet.py`) ----

// timm's PNASNet `CellStem0` (in_chs 96, out_chs C): reads the stem conv, halves the
// resolution, 5C filters out.
block pnas_cell_stem0(C: int) {
    input x_left
    let x_right = x_left -> act_conv_bn(C)
    let comb_iter_0 = (x_left -> branch_separables(C, 5x5, stride=2, stem_cell=true)) + (x_left -> max_pool(3x3, stride=2, padding=1) -> conv(1x1, C) -> bn(eps=0.001))
    let comb_iter_1 = (x_right -> branch_separables(C, 7x7, stride=2)) + (x_right -> max_pool(3x3, stride=2, padding=1))
    let comb_iter_2 = (x_right -> branch_separables(C, 5x5, stride=2)) + (x_right -> branch_separables(C, 3x3, stride=2))
    let comb_iter_3 = (comb_iter_2 -> branch_separables(C, 3x3)) + (x_right -> max_pool(3x3, stride=2, padding=1))
    let comb_iter_4 = (x_left -> branch_separables(C, 3x3, stride=2, stem_cell=true)) + (x_right -> act_conv_bn(C, stride=2))
    output concat(comb_iter_0, comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's PNASNet `Cell` (out_chs_left = out_chs_right = C): x_left is the output of the
// cell before last, x_right the previous cell's; `is_reduction` strides the ops that read
// them, `match_prev_layer_dims` factorised-reduces x_left (twice x_right's resolution);
// 5C filters out.
block pnas_cell(C: int, is_reduction: bool = false, match_prev_layer_dims: bool = false) {
    input x_left, x_right
    let s = if(is_reduction, 2, 1)
    let l = x_left -> if(match_prev_layer_dims, factorized_reduction(C), act_conv_bn(C))
    let r = x_right -> act_conv_bn(C)
    let comb_iter_0 = (l -> branch_separables(C, 5x5, stride=s)) + (l -> max_pool(3x3, stride=s, padding=1))
    let comb_iter_1 = (r -> branch_separables(C, 7x7, stride=s)) + (r -> max_pool(3x3, stride=s, padding=1))
    let comb_iter_2 = (r -> branch_separables(C, 5x5, stride=s)) + (r -> branch_separables(C, 3x3, stride=s))
    let comb_iter_3 = (comb_iter_2 -> branch_separables(C, 3x3)) + (r -> max_pool(3x3, stride=s, padding=1))
    let comb_iter_4 = (l -> branch_separables(C, 3x3, stride=s)) + (r -> if(is_reduction, act_conv_bn(C, stride=2), identity))
    output concat(comb_iter_0, comb_iter_1, comb_iter_2, comb_iter_3, comb_iter_4)
}

// timm's `PNASNet5Large`: stem cells at C/4 and C/2, then 4 cells per resolution (the first
// of the second and third a reduction), C doubled at each; 4320 = 5 x 4C features.
network pnasnet5large(C: int = 216, res: int = 331) {
    input [3, res, res]
    classes 1000

    stage conv_0 = conv(3x3, 96, stride=2, padding=0) -> bn(eps=0.001)
    stage cell_stem_0 = pnas_cell_stem0(C / 4)
    stage cell_stem_1 = [conv_0, cell_stem_0] -> pnas_cell(C / 2, is_reduction=true, match_prev_layer_dims=true)

    stage cell_0 = [cell_stem_0, cell_stem_1] -> pnas_cell(C, match_prev_layer_dims=true)
    stage cell_1 = [cell_stem_1, cell_0] -> pnas_cell(C)
    stage cell_2 = [cell_0, cell_1] -> pnas_cell(C)
    stage cell_3 = [cell_1, cell_2] -> pnas_cell(C)

    stage cell_4 = [cell_2, cell_3] -> pnas_cell(2 * C, is_reduction=true)
    stage cell_5 = [cell_3, cell_4] -> pnas_cell(2 * C, match_prev_layer_dims=true)
    stage cell_6 = [cell_4, cell_5] -> pnas_cell(2 * C)
    stage cell_7 = [cell_5, cell_6] -> pnas_cell(2 * C)

    stage cell_8 = [cell_6, cell_7] -> pnas_cell(4 * C, is_reduction=true)
    stage cell_9 = [cell_7, cell_8] -> pnas_cell(4 * C, match_prev_layer_dims=true)
    stage cell_10 = [cell_8, cell_9] -> pnas_cell(4 * C)
    stage cell_11 = [cell_9, cell_10] -> pnas_cell(4 * C)

    stage head = relu -> global_avg_pool -> linear(classes)
}
