//! nasc — a compiler for neural-network architecture specs.
//!
//! Pipeline (one direction of flow, one responsibility per module):
//! [`syntax`] (pest grammar -> AST with spans) -> [`check`] (names, types, values;
//! diagnostics) -> [`expand`] (stages and random graphs -> [`ir`] DAG with shapes and spans,
//! verified) -> [`passes`] -> [`backend`] (text IR, JSON, DOT, Burn) -> `cli`.

pub mod backend;
pub mod check;
pub mod diag;
pub mod driver;
pub mod expand;
pub mod fmt;
pub mod freeze;
pub mod ir;
pub mod limits;
pub mod lsp;
pub mod passes;
pub mod search;
pub mod space;
pub mod stats;
pub mod syntax;

pub use driver::{Compiled, compile, compile_with};
