//! Editor integration, in one test binary: `nasc fmt` (fmt.rs), the language server over
//! JSON-RPC (lsp.rs), and headless Neovim plus the VS Code extension's files (nvim.rs).

mod fmt;
mod lsp;
mod nvim;
