//! Diagnostics: every user-facing problem is a [`Diagnostic`] with a stable [`Code`], a
//! primary label at the exact source span, and help. They are collected (never thrown one
//! at a time), rendered through miette for people, or as JSON lines for editors and scripts.

use crate::span::Span;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal;)*) => {
        /// Stable diagnostic codes. The catalogue with explanations is `docs/diagnostics.md`;
        /// a test keeps the two in step.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }
        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $code),* } }
            pub fn title(self) -> &'static str { match self { $(Code::$variant => $title),* } }
        }
    };
}

codes! {
    Syntax = "E001", "syntax error";
    UnknownName = "E002", "unknown name";
    Duplicate = "E003", "duplicate definition";
    UnknownOp = "E004", "unknown operation or function";
    Arity = "E005", "wrong number of arguments";
    UnknownKwarg = "E006", "unknown keyword argument";
    DuplicateArg = "E007", "argument given twice";
    Type = "E008", "type mismatch";
    Range = "E009", "value out of range";
    GeneratorParam = "E010", "invalid generator parameter";
    DivByZero = "E011", "division by zero";
    Overflow = "E012", "arithmetic overflow";
    UnknownOverride = "E013", "override of an unknown parameter";
    MissingInput = "E014", "missing or repeated input/classes declaration";
    NoNetwork = "E015", "no network, or an ambiguous one, to compile";
    Planned = "E016", "planned feature not available yet";
    Rank = "E017", "tensor rank mismatch";
    SpatialTooSmall = "E018", "feature map shrinks below 1x1";
    Channels = "E019", "channel count mismatch";
    OutputShape = "E020", "network output does not match the class count";
    Cycle = "E021", "cycle in an explicit graph";
    NodeIndex = "E022", "explicit graph node out of range";
    RecursiveDef = "E023", "definition refers to itself";
    MissingValue = "E024", "parameter without a value";
    BadOverride = "E025", "malformed override value";
    UnknownType = "E026", "unknown parameter type";
    EmptyStage = "E027", "empty network or stage";
    TooDeep = "E028", "nesting deeper than nasc's limit";
    TooLarge = "E029", "size beyond nasc's limit";
    MissingConvention = "E030", "cell stack without an index convention";
    Genotype = "E031", "invalid genotype";
    FutureState = "E032", "hidden state not available yet";
    ShapeMismatch = "E033", "add or concat of mismatched shapes";
    MotifLevel = "E034", "motif uses a level other than the one below";
    Unreachable = "E035", "motif output unreachable";
    BlockForm = "E036", "malformed block definition or use";
    GroupWidth = "E037", "width not divisible by the group width";
    WidthRule = "E038", "invalid RegNet width-rule parameter";
    Rounding = "E039", "unknown rounding mode";
    Domain = "E040", "parameter value outside its domain";
    BadDomain = "E041", "malformed parameter domain";
    Constraint = "E042", "a `require` constraint does not hold";
    Budget = "E043", "no sampled model meets the complexity budget";
    Wiring = "E044", "invalid learned-wiring stage";
    Record = "E045", "model record does not fit the network";
    Preset = "E046", "invalid preset";
    UnknownPreset = "E047", "--preset names no preset of the network";
    Field = "E048", "invalid read of a block input's shape";
    UnusedDef = "W001", "unused definition";
    UnusedParam = "W002", "unused parameter";
    SeedIgnored = "W003", "--seed given for a network without a `seed` parameter";
    OutsideDomain = "W004", "--set value outside the parameter's sampling domain";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a spec.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Primary location; `None` only for problems with no place in the file (CLI overrides).
    pub span: Option<Span>,
    pub label: String,
    pub help: Option<String>,
    /// Secondary locations, e.g. the first definition of a duplicate.
    pub related: Vec<(Span, String)>,
    /// The problem is in the command line (a `--set`, `--network` or `--seed` value), not
    /// in the file: the CLI exits with 2 (usage error) instead of 1.
    pub usage: bool,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: if code.as_str().starts_with('W') {
                Severity::Warning
            } else {
                Severity::Error
            },
            message: message.into(),
            span: Some(span),
            label: String::new(),
            help: None,
            related: Vec::new(),
            usage: false,
        }
    }
    /// Marks a problem of the command line (exit code 2).
    pub fn usage(mut self) -> Self {
        self.usage = true;
        self
    }
    pub fn spanless(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { span: None, ..Diagnostic::error(code, Span::default(), message) }
    }
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A growing list of diagnostics; stages push into it and keep going.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Sort by position (then severity) so output order is stable and reads top to bottom.
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| (d.span.map_or(0, |s| s.start), std::cmp::Reverse(d.severity)));
    }
}

/// A diagnostic bound to its source text, as miette wants it.
struct Bound<'a> {
    diag: &'a Diagnostic,
    src: &'a NamedSource<String>,
}

impl fmt::Debug for Bound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}
impl fmt::Display for Bound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}
impl std::error::Error for Bound<'_> {}

impl miette::Diagnostic for Bound<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("nasc::{}", self.diag.code)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diag.span.map(|_| self.src as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diag.span?;
        let label = (!self.diag.label.is_empty()).then(|| self.diag.label.clone());
        let primary = LabeledSpan::new_primary_with_span(label, span);
        let rest =
            self.diag.related.iter().map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), *s));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

/// Renders diagnostics for people (miette's graphical report) or machines (JSON lines).
pub struct Renderer {
    pub color: bool,
    pub width: usize,
}

impl Renderer {
    /// Renders one diagnostic (the source is copied once per call: use [`Renderer::render_all`]
    /// for many).
    pub fn render(&self, diag: &Diagnostic, file: &str, source: &str) -> String {
        let src = NamedSource::new(file, source.to_string());
        self.render_with(diag, &src, file, source)
    }

    /// Renders at most [`crate::limits::MAX_RENDERED_DIAGNOSTICS`] diagnostics, then one
    /// line counting the rest, so the cost stays bounded whatever the file holds.
    pub fn render_all(&self, diags: &Diagnostics, file: &str, source: &str) -> String {
        let src = NamedSource::new(file, source.to_string());
        let max = crate::limits::MAX_RENDERED_DIAGNOSTICS;
        let mut out: String =
            diags.iter().take(max).map(|d| self.render_with(d, &src, file, source)).collect();
        if diags.len() > max {
            let rest = &diags.0[max..];
            let errors = rest.iter().filter(|d| d.is_error()).count();
            out += &format!(
                "... and {} more ({errors} errors, {} warnings) not shown; --message-format json lists them all\n",
                rest.len(),
                rest.len() - errors
            );
        }
        out
    }

    fn render_with(
        &self,
        diag: &Diagnostic,
        src: &NamedSource<String>,
        file: &str,
        source: &str,
    ) -> String {
        // miette lays out whole source lines; on very long lines that is slow (and it panics
        // past column 65535), so such diagnostics get a compact rendering with positions.
        let long = |sp: Span| {
            let (_, col) = line_col(source, sp.start);
            let line_len = source
                .get(sp.start..)
                .and_then(|r| r.find('\n'))
                .unwrap_or(source.len() - sp.start.min(source.len()));
            col + line_len > LONG_LINE
        };
        let spans = diag.span.into_iter().chain(diag.related.iter().map(|r| r.0));
        if spans.clone().any(long) {
            return compact(diag, file, source);
        }
        let theme =
            if self.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler =
            GraphicalReportHandler::new_themed(theme).with_width(self.width).with_links(false);
        let mut out = String::new();
        let bound = Bound { diag, src };
        if handler.render_report(&mut out, &bound).is_err() {
            return compact(diag, file, source);
        }
        out
    }
}

/// Lines longer than this (in characters) are not drawn as source snippets.
const LONG_LINE: usize = 2000;

/// A plain rendering: code, message, `file:line:col` of each label, help.
fn compact(diag: &Diagnostic, file: &str, source: &str) -> String {
    let mut out = format!(
        "nasc::{}\n\n  {} {}\n",
        diag.code,
        if diag.is_error() { "×" } else { "⚠" },
        diag.message
    );
    let mut at = |sp: Span, label: &str| {
        let (l, c) = line_col(source, sp.start);
        out +=
            &format!("   at {file}:{l}:{c}{}{label}\n", if label.is_empty() { "" } else { ": " });
    };
    if let Some(sp) = diag.span {
        at(sp, &diag.label);
    }
    for (sp, label) in &diag.related {
        at(*sp, label);
    }
    if let Some(h) = &diag.help {
        out += &format!("  help: {h}\n");
    }
    out
}

/// Line and column (both 1-based; column counted in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_col(offset)
}

/// Start offsets of every line, for many position look-ups in one source.
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
    /// Whether each line is pure ASCII (column = byte distance, no scan).
    ascii: Vec<bool>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let starts: Vec<usize> =
            std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(k, &a)| {
                source.as_bytes()[a..starts.get(k + 1).copied().unwrap_or(source.len())].is_ascii()
            })
            .collect();
        LineIndex { source, starts, ascii }
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = if self.ascii[line - 1] {
            offset - start
        } else {
            self.source.get(start..offset).map_or(0, |t| t.chars().count())
        } + 1;
        (line, col)
    }
}

#[derive(Serialize)]
struct JsonDiag<'a> {
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    span: Option<Span>,
    severity: Severity,
    code: &'static str,
    message: &'a str,
    label: &'a str,
    help: Option<&'a str>,
}

/// One JSON object (a single line) describing the diagnostic.
pub fn to_json_line(diag: &Diagnostic, file: &str, source: &str) -> String {
    to_json_line_indexed(diag, file, &LineIndex::new(source))
}

/// [`to_json_line`] with a prebuilt line index (for many diagnostics of one file).
pub fn to_json_line_indexed(diag: &Diagnostic, file: &str, index: &LineIndex) -> String {
    let (start, end) = match diag.span {
        Some(s) => (Some(index.line_col(s.start)), Some(index.line_col(s.end))),
        None => (None, None),
    };
    let j = JsonDiag {
        file,
        line: start.map(|p| p.0),
        column: start.map(|p| p.1),
        end_line: end.map(|p| p.0),
        end_column: end.map(|p| p.1),
        span: diag.span,
        severity: diag.severity,
        code: diag.code.as_str(),
        message: &diag.message,
        label: &diag.label,
        help: diag.help.as_deref(),
    };
    serde_json::to_string(&j).unwrap_or_default()
}

/// "did you mean" help: the closest candidate by edit distance, if close enough.
pub fn suggest<S: AsRef<str>>(
    name: &str,
    candidates: impl IntoIterator<Item = S>,
) -> Option<String> {
    let mut best: Option<(f64, String)> = None;
    for c in candidates {
        let c = c.as_ref();
        let score = strsim::jaro_winkler(name, c);
        if c != name && score > 0.8 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, c.to_string()));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}
