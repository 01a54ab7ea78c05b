//! The generated models (pinned golden files), compiled with warnings denied.
#![deny(warnings)]

#[path = "../../golden/burn/randwire_ba.rs"]
pub mod randwire_ba;
#[path = "../../golden/burn/randwire_er.rs"]
pub mod randwire_er;
#[path = "../../golden/burn/randwire_regular.rs"]
pub mod randwire_regular;
#[path = "../../golden/burn/randwire_ws.rs"]
pub mod randwire_ws;
#[path = "../../golden/burn/randwire_ws_fmnist.rs"]
pub mod randwire_ws_fmnist;
#[path = "../../golden/burn/explicit_graph.rs"]
pub mod explicit_graph;
#[path = "../../golden/burn/plain_cnn.rs"]
pub mod plain_cnn;
#[path = "../../golden/burn/randwire_cifar.rs"]
pub mod randwire_cifar;
#[path = "../../golden/burn/darts_v2_cifar.rs"]
pub mod darts_v2_cifar;
#[path = "../../golden/burn/darts_v2_imagenet.rs"]
pub mod darts_v2_imagenet;
#[path = "../../golden/burn/nasnet_a_mobile.rs"]
pub mod nasnet_a_mobile;
#[path = "../../golden/burn/hierarchical.rs"]
pub mod hierarchical;
#[path = "../../golden/burn/flat_motif.rs"]
pub mod flat_motif;
#[path = "../../golden/burn/darts_fmnist.rs"]
pub mod darts_fmnist;
#[path = "../../golden/burn/hierarchical_fmnist.rs"]
pub mod hierarchical_fmnist;
#[path = "../../golden/burn/resnet_blocks.rs"]
pub mod resnet_blocks;
#[path = "../../golden/burn/custom_cell.rs"]
pub mod custom_cell;
