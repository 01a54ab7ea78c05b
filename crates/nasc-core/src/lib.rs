//! nasc-core — the compiler of neural-network architecture specs, without any back end that
//! needs Burn or a database.
//!
//! Rooms, from the bottom up (a module imports only modules below it; ARCHITECTURE.md):
//! [`span`], [`limits`] and [`fsutil`] -> [`diag`] -> [`ir`] (the DAG IR, its op units in
//! [`ir::ops`] and the verifier) -> [`syntax`] (pest grammar -> AST with spans) -> [`check`]
//! (names, types, values; diagnostics) -> [`expand`] (stages and random graphs -> verified
//! IR) -> [`passes`] -> [`stats`], [`emit`] (text IR, JSON, DOT) -> [`driver`] (the pipeline
//! in one call) -> [`space`] (design spaces), [`fmt`] (the canonical layout of `.nas` source); [`weights`] (parameter tensors in a
//! framework-neutral layout, for exporters).

pub mod check;
pub mod diag;
pub mod driver;
pub mod emit;
pub mod expand;
pub mod fmt;
pub mod fsutil;
pub mod ir;
pub mod limits;
pub mod passes;
pub mod space;
pub mod span;
pub mod stats;
pub mod syntax;
pub mod weights;

pub use driver::{Compiled, compile, compile_parsed, compile_parsed_with, compile_with};
