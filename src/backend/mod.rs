//! Back ends: each turns a verified IR into one output format.

pub mod burn;
pub mod dot;
pub mod json;
pub mod text;
