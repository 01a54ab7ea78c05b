//! The generated models (pinned golden files), compiled with warnings denied, with nasc's
//! kernels as a generated crate carries them (`crate::kernels`: nasc-burn's kernel files with
//! `standalone.rs` as their `mod.rs`).
#![deny(warnings)]

#[path = "../../../crates/nasc-burn/src/kernels/standalone.rs"]
pub mod kernels;

#[path = "../../golden/burn/randwire_ba.rs"]
#[rustfmt::skip]
pub mod randwire_ba;
#[path = "../../golden/burn/randwire_er.rs"]
#[rustfmt::skip]
pub mod randwire_er;
#[path = "../../golden/burn/randwire_regular.rs"]
#[rustfmt::skip]
pub mod randwire_regular;
#[path = "../../golden/burn/randwire_ws.rs"]
#[rustfmt::skip]
pub mod randwire_ws;
#[path = "../../golden/burn/randwire_ws_fmnist.rs"]
#[rustfmt::skip]
pub mod randwire_ws_fmnist;
#[path = "../../golden/burn/explicit_graph.rs"]
#[rustfmt::skip]
pub mod explicit_graph;
#[path = "../../golden/burn/plain_cnn.rs"]
#[rustfmt::skip]
pub mod plain_cnn;
#[path = "../../golden/burn/randwire_cifar.rs"]
#[rustfmt::skip]
pub mod randwire_cifar;
#[path = "../../golden/burn/darts_v2_cifar.rs"]
#[rustfmt::skip]
pub mod darts_v2_cifar;
#[path = "../../golden/burn/darts_v2_imagenet.rs"]
#[rustfmt::skip]
pub mod darts_v2_imagenet;
#[path = "../../golden/burn/nasnet_a_mobile.rs"]
#[rustfmt::skip]
pub mod nasnet_a_mobile;
#[path = "../../golden/burn/hierarchical.rs"]
#[rustfmt::skip]
pub mod hierarchical;
#[path = "../../golden/burn/flat_motif.rs"]
#[rustfmt::skip]
pub mod flat_motif;
#[path = "../../golden/burn/darts_fmnist.rs"]
#[rustfmt::skip]
pub mod darts_fmnist;
#[path = "../../golden/burn/hierarchical_fmnist.rs"]
#[rustfmt::skip]
pub mod hierarchical_fmnist;
#[path = "../../golden/burn/mobilenet_v2_fmnist.rs"]
#[rustfmt::skip]
pub mod mobilenet_v2_fmnist;
#[path = "../../golden/burn/mobilenet_v2.rs"]
#[rustfmt::skip]
pub mod mobilenet_v2;
#[path = "../../golden/burn/mobilenet_v3.rs"]
#[rustfmt::skip]
pub mod mobilenet_v3;
#[path = "../../golden/burn/mobilenet_v3_fmnist.rs"]
#[rustfmt::skip]
pub mod mobilenet_v3_fmnist;
#[path = "../../golden/burn/nas_bench_201.rs"]
#[rustfmt::skip]
pub mod nas_bench_201;
#[path = "../../golden/burn/nas_bench_201_arch.rs"]
#[rustfmt::skip]
pub mod nas_bench_201_arch;
#[path = "../../golden/burn/shufflenet_v2.rs"]
#[rustfmt::skip]
pub mod shufflenet_v2;
#[path = "../../golden/burn/densenet.rs"]
#[rustfmt::skip]
pub mod densenet;
#[path = "../../golden/burn/efficientnet.rs"]
#[rustfmt::skip]
pub mod efficientnet;
#[path = "../../golden/burn/squeezenet.rs"]
#[rustfmt::skip]
pub mod squeezenet;
#[path = "../../golden/burn/googlenet.rs"]
#[rustfmt::skip]
pub mod googlenet;
#[path = "../../golden/burn/convnext.rs"]
#[rustfmt::skip]
pub mod convnext;
#[path = "../../golden/burn/mobile_nas.rs"]
#[rustfmt::skip]
pub mod mobile_nas;
#[path = "../../golden/burn/nasnet.rs"]
#[rustfmt::skip]
pub mod nasnet;
#[path = "../../golden/burn/ofa_mbv3.rs"]
#[rustfmt::skip]
pub mod ofa_mbv3;
#[path = "../../golden/burn/nas_bench_101.rs"]
#[rustfmt::skip]
pub mod nas_bench_101;
#[path = "../../golden/burn/nas_bench_101_space.rs"]
#[rustfmt::skip]
pub mod nas_bench_101_space;
#[path = "../../golden/burn/nas_bench_101_fmnist.rs"]
#[rustfmt::skip]
pub mod nas_bench_101_fmnist;
#[path = "../../golden/burn/mnasnet.rs"]
#[rustfmt::skip]
pub mod mnasnet;
#[path = "../../golden/burn/resnet.rs"]
#[rustfmt::skip]
pub mod resnet;
#[path = "../../golden/burn/resnet_blocks.rs"]
#[rustfmt::skip]
pub mod resnet_blocks;
#[path = "../../golden/burn/custom_cell.rs"]
#[rustfmt::skip]
pub mod custom_cell;
#[path = "../../golden/burn/randwire_blocks.rs"]
#[rustfmt::skip]
pub mod randwire_blocks;
#[path = "../../golden/burn/regnet.rs"]
#[rustfmt::skip]
pub mod regnet;
#[path = "../../golden/burn/regnetx_200mf.rs"]
#[rustfmt::skip]
pub mod regnetx_200mf;
#[path = "../../golden/burn/regnetx_400mf.rs"]
#[rustfmt::skip]
pub mod regnetx_400mf;
#[path = "../../golden/burn/regnety_400mf.rs"]
#[rustfmt::skip]
pub mod regnety_400mf;
#[path = "../../golden/burn/regnety_800mf.rs"]
#[rustfmt::skip]
pub mod regnety_800mf;
#[path = "../../golden/burn/anynetx_a_fmnist.rs"]
#[rustfmt::skip]
pub mod anynetx_a_fmnist;
#[path = "../../golden/burn/regnetx_fmnist.rs"]
#[rustfmt::skip]
pub mod regnetx_fmnist;
#[path = "../../golden/burn/anynetx_e_fmnist.rs"]
#[rustfmt::skip]
pub mod anynetx_e_fmnist;
#[path = "../../golden/burn/dnw_fmnist.rs"]
#[rustfmt::skip]
pub mod dnw_fmnist;
#[path = "../../golden/burn/dnw_frozen_fmnist.rs"]
#[rustfmt::skip]
pub mod dnw_frozen_fmnist;
#[path = "../../golden/burn/randwire_ws_fmnist_o2.rs"]
#[rustfmt::skip]
pub mod randwire_ws_fmnist_o2;
#[path = "../../golden/burn/regnetx_fmnist_o2.rs"]
#[rustfmt::skip]
pub mod regnetx_fmnist_o2;
#[path = "../../golden/burn/resnet_blocks_o2.rs"]
#[rustfmt::skip]
pub mod resnet_blocks_o2;
#[path = "../../golden/burn/plain_cnn_o2.rs"]
#[rustfmt::skip]
pub mod plain_cnn_o2;
#[path = "../../golden/burn/darts_fmnist_o2.rs"]
#[rustfmt::skip]
pub mod darts_fmnist_o2;
#[path = "../../golden/burn/hierarchical_fmnist_o2.rs"]
#[rustfmt::skip]
pub mod hierarchical_fmnist_o2;
#[path = "../../golden/burn/dnw_frozen_fmnist_o2.rs"]
#[rustfmt::skip]
pub mod dnw_frozen_fmnist_o2;
#[path = "../../golden/burn/regnety_400mf_o2.rs"]
#[rustfmt::skip]
pub mod regnety_400mf_o2;
