//! `nasc`: the command-line program. Every subcommand is a module of [`cli`].

mod cli;

use std::process::ExitCode;

/// The compiler runs on a thread with a stack sized for its deepest walks: every walk over
/// user structure is bounded (docs/limits.md), and 64 MiB leaves a wide margin even for
/// unoptimised builds.
fn main() -> ExitCode {
    match std::thread::Builder::new().name("nasc".into()).stack_size(64 << 20).spawn(cli::run) {
        Ok(h) => h.join().unwrap_or_else(|_| {
            eprintln!(
                "internal error: nasc panicked; this is a bug, please report it with the spec and command"
            );
            ExitCode::from(101)
        }),
        Err(_) => cli::run(),
    }
}
