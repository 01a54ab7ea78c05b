//! `nasc passes`: every optimisation pass with its level and what it does.

use crate::cli::error::CliError;
use nasc_core::passes::{PASSES, Safety};
use std::process::ExitCode;

pub(crate) fn run() -> Result<ExitCode, CliError> {
    print!("{}", table());
    Ok(ExitCode::SUCCESS)
}

fn table() -> String {
    let mut s = String::from("pass          level  safety     what it does\n");
    for p in PASSES {
        let safety = match p.safety {
            Safety::Training => "training",
            Safety::Inference => "inference",
        };
        s += &format!("{:<13} -O{:<4} {safety:<10} {}\n", p.name, p.level, p.about);
    }
    s
}
