//! Front end: the pest grammar (`grammar/nas.pest`) and its lowering to the typed AST.
//! This is the only module that sees pest types.

pub mod ast;
mod delims;
mod parser;

pub use ast::*;
pub use parser::parse;
