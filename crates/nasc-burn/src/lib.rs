//! Burn back end: a runtime model built directly from the IR ([`runtime`]), Rust source
//! generation ([`codegen`]), data sets ([`data`]) and training ([`train`]).

pub mod bench;
pub mod checkpoint;
pub mod codegen;
pub mod data;
pub mod device;
pub mod freeze;
pub mod import;
pub mod kernels;
pub mod ops;
pub mod policy;
pub mod record;
pub mod runtime;
pub mod settings;
pub mod train;
pub mod transfer;
pub mod weights;
