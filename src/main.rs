use std::process::ExitCode;

fn main() -> ExitCode {
    nasc_cli::run()
}

#[path = "cli.rs"]
mod nasc_cli;
