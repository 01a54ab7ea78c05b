//! The pipeline in one place: parse -> check -> expand -> verify -> passes -> verify.

use crate::check::{self, Options};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, Ir};
use crate::{expand, passes};

pub struct Compiled {
    /// The verified IR, present only when there were no errors.
    pub ir: Option<Ir>,
    /// Errors and warnings, sorted by position.
    pub diags: Diagnostics,
    /// The checked network (present when checking succeeded), for what reads the spec's
    /// constructs rather than the IR.
    pub network: Option<check::Network>,
    /// What each optimisation pass did (present with the IR).
    pub report: Option<passes::Report>,
}

impl Compiled {
    /// The network's motifs printed back as spec text (empty when it has none).
    pub fn motifs(&self) -> String {
        self.network.as_ref().map(check::print_motifs).unwrap_or_default()
    }
}

/// Compiles a spec to verified IR at the default optimisation level (`-O1`, training-safe
/// passes), collecting every diagnostic it can.
pub fn compile(source: &str, opts: &Options) -> Result<Compiled, ir::VerifyError> {
    compile_with(source, opts, &passes::level(passes::DEFAULT_LEVEL))
}

/// Compiles a spec running the given passes (`passes::level(n)`, `passes::by_names`).
pub fn compile_with(
    source: &str,
    opts: &Options,
    pipeline: &[&'static passes::Pass],
) -> Result<Compiled, ir::VerifyError> {
    let mut diags = Diagnostics::default();
    let file = match crate::syntax::parse(source) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return Ok(Compiled { ir: None, diags, network: None, report: None });
        }
    };
    compile_parsed_with(&file, diags, opts, pipeline)
}

/// The pipeline after parsing (`nasc sample` parses a space once and compiles many draws).
pub fn compile_parsed(
    file: &crate::syntax::File,
    diags: Diagnostics,
    opts: &Options,
) -> Result<Compiled, ir::VerifyError> {
    compile_parsed_with(file, diags, opts, &passes::level(passes::DEFAULT_LEVEL))
}

/// [`compile_parsed`] with the given passes.
pub fn compile_parsed_with(
    file: &crate::syntax::File,
    mut diags: Diagnostics,
    opts: &Options,
    pipeline: &[&'static passes::Pass],
) -> Result<Compiled, ir::VerifyError> {
    let (net, d, mut session) = check::check_session(file, opts);
    diags.extend(d);
    let mut ir = None;
    let mut report = None;
    if let Some(net) = &net {
        let (x, d) = expand::expand(net, &mut session);
        diags.extend(d);
        if let Some(mut x) = x {
            report = Some(passes::run(&mut x, pipeline)?);
            ir = Some(x);
        }
    }
    if ir.is_none() && !diags.has_errors() {
        diags.push(Diagnostic::spanless(Code::EmptyStage, "nothing to compile"));
    }
    // A block used many times reports a problem of its body once.
    let mut seen = std::collections::HashSet::new();
    diags.0.retain(|d| {
        seen.insert((d.code.as_str(), d.span.map(|s| (s.start, s.end)), d.message.clone()))
    });
    diags.sort();
    let max = crate::limits::MAX_DIAGNOSTICS;
    if diags.len() > max {
        let total = diags.len();
        diags.0.truncate(max);
        diags.push(
            Diagnostic::spanless(
                Code::TooLarge,
                format!("{total} diagnostics; only the first {max} are kept"),
            )
            .help("fix these and check again"),
        );
    }
    Ok(Compiled { ir, diags, network: net, report })
}
