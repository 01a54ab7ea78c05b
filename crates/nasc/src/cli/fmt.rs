//! `nasc fmt [--check] FILES...`: rewrites .nas files in the canonical layout (`nasc_core::fmt`),
//! or with `--check` lists the files that are not (exit 1). A file that does not parse is
//! reported and left alone. `-` formats standard input to standard output.

use crate::cli::common::print_diagnostics;
use crate::cli::common::read_spec;
use crate::cli::common::write_file;
use crate::cli::error::CliError;
use crate::cli::global::Global;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct FmtArgs {
    /// .nas files or directories (searched for .nas files); `-` for standard input
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing: list the files whose layout differs and exit 1 if there are any
    #[arg(long)]
    check: bool,
}

/// The .nas files named, directories expanded (sorted, recursively).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(d) = stack.pop() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
                    .map_err(|source| CliError::Read { path: d.clone(), source })?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .collect();
                entries.sort();
                for e in entries {
                    if e.is_dir() {
                        stack.push(e);
                    } else if e.extension().is_some_and(|x| x == "nas") {
                        out.push(e);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub(crate) fn run(cli: &Global, a: &FmtArgs) -> Result<ExitCode, CliError> {
    if a.files.len() == 1 && a.files[0].as_os_str() == "-" {
        let mut src = String::new();
        std::io::stdin()
            .take(nasc_core::limits::MAX_SOURCE_BYTES as u64 + 1)
            .read_to_string(&mut src)
            .map_err(CliError::Stdin)?;
        if let Err(d) = nasc_core::syntax::parse(&src) {
            print_diagnostics(cli, &nasc_core::diag::Diagnostics(vec![d]), "<stdin>", &src);
            return Ok(ExitCode::from(1));
        }
        let out = nasc_core::fmt::format(&src);
        if a.check {
            return Ok(if out == src { ExitCode::SUCCESS } else { ExitCode::from(1) });
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    let (mut unformatted, mut broken) = (0, 0);
    for path in expand(&a.files)? {
        let name = path.display().to_string();
        let src = read_spec(&path)?;
        if let Err(d) = nasc_core::syntax::parse(&src) {
            print_diagnostics(cli, &nasc_core::diag::Diagnostics(vec![d]), &name, &src);
            broken += 1;
            continue;
        }
        let out = nasc_core::fmt::format(&src);
        if out == src {
            continue;
        }
        unformatted += 1;
        if a.check {
            let line = src
                .lines()
                .zip(out.lines())
                .position(|(x, y)| x != y)
                .map_or(src.lines().count().min(out.lines().count()), |n| n)
                + 1;
            println!("{name}: not formatted (first difference at line {line})");
        } else {
            write_file(&path, out.as_bytes())?;
            println!("formatted {name}");
        }
    }
    Ok(if broken > 0 || (a.check && unformatted > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
