use std::process::ExitCode;

/// The compiler runs on a thread with a stack sized for its deepest walks: every walk over
/// user structure is bounded (docs/limits.md), and 64 MiB leaves a wide margin even for
/// unoptimised builds.
fn main() -> ExitCode {
    match std::thread::Builder::new().name("nasc".into()).stack_size(64 << 20).spawn(nasc_cli::run) {
        Ok(h) => h.join().unwrap_or_else(|_| {
            eprintln!("internal error: nasc panicked; this is a bug, please report it with the spec and command");
            ExitCode::from(101)
        }),
        Err(_) => nasc_cli::run(),
    }
}

#[path = "cli_fmt.rs"]
mod fmt_cli;
#[path = "cli_freeze.rs"]
mod freeze_cli;
#[path = "cli.rs"]
mod nasc_cli;
#[path = "cli_search.rs"]
mod search_cli;
#[path = "cli_space.rs"]
mod space_cli;
