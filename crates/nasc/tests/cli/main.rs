//! The integration suite: the `nasc` program as a user runs it — exit codes, every
//! subcommand and flag, structural extremes, killed and resumed runs, searches with real
//! worker processes against SQLite and PostgreSQL, the editor tools (fmt, lsp, headless
//! Neovim), the fuzz target, and the build-reuse check of the README's two commands.

mod build_reuse;
mod cli;
mod editor_fmt;
mod editor_lsp;
mod editor_nvim;
mod export;
mod fuzz;
mod multi_fidelity;
mod reference;
mod reliability;
mod search;
mod store_outage;
