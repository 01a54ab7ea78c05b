//! Emitters without a runtime: each turns a verified IR into one text format.

pub mod dot;
pub mod json;
pub mod text;
