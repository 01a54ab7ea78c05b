//! What a generated file imports and which [`super::shared`] helpers it carries: every op
//! (and the generator's own scaffolding) says what it uses, and the file gets each import
//! and helper once, helpers in the order of `shared.rs`.

use std::collections::BTreeSet;
use std::sync::OnceLock;

/// One helper section of `shared.rs`, as the generated file gets it.
struct Section {
    name: &'static str,
    needs: Vec<&'static str>,
    uses: Vec<&'static str>,
    /// The section's source with `pub ` dropped at line starts.
    code: String,
}

const SHARED: &str = include_str!("shared.rs");

fn sections() -> &'static [Section] {
    static SECTIONS: OnceLock<Vec<Section>> = OnceLock::new();
    SECTIONS.get_or_init(|| parse(SHARED))
}

/// Splits `shared.rs` at its `// @helper NAME needs=.. uses=..` markers.
fn parse(src: &'static str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in src.split_inclusive('\n') {
        if let Some(marker) = line.trim_end().strip_prefix("// @helper ") {
            let mut words = marker.split_whitespace();
            let name = words.next().unwrap_or_default();
            let (mut needs, mut uses) = (Vec::new(), Vec::new());
            for w in words {
                if let Some(list) = w.strip_prefix("needs=") {
                    needs.extend(list.split(','));
                } else if let Some(list) = w.strip_prefix("uses=") {
                    uses.extend(list.split(','));
                }
            }
            out.push(Section { name, needs, uses, code: String::new() });
        } else if let Some(s) = out.last_mut() {
            let indent = line.len() - line.trim_start().len();
            let rest = &line[indent..];
            s.code.push_str(&line[..indent]);
            s.code.push_str(rest.strip_prefix("pub ").unwrap_or(rest));
        }
    }
    for s in &mut out {
        let trimmed = s.code.trim_end().len();
        s.code.truncate(trimmed);
        s.code.push_str("\n\n");
    }
    out
}

/// The imports and helpers of one generated file.
#[derive(Default)]
pub struct Needs {
    imports: BTreeSet<&'static str>,
    helpers: BTreeSet<&'static str>,
}

impl Needs {
    /// A file's own needs: the model derives `Module` and works on `Tensor`s on a `Device`.
    pub fn file() -> Needs {
        let mut n = Needs::default();
        n.import("burn::module::Module");
        n.import("burn::tensor::Device");
        n.import("burn::tensor::Tensor");
        n
    }

    /// An import by full path (`burn::nn::conv::Conv2d`).
    pub fn import(&mut self, path: &'static str) {
        self.imports.insert(path);
    }

    /// A helper of `shared.rs` with the helpers and imports it needs.
    pub fn helper(&mut self, name: &'static str) {
        if !self.helpers.insert(name) {
            return;
        }
        if let Some(s) = sections().iter().find(|s| s.name == name) {
            for &u in &s.uses {
                self.import(u);
            }
            for &d in &s.needs {
                self.helper(d);
            }
        }
    }

    /// `use` lines, one per module (`use burn::nn::{BatchNorm, Linear};`), sorted.
    pub fn imports_code(&self) -> String {
        let mut by_module: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for path in &self.imports {
            let (module, item) = path.rsplit_once("::").unwrap_or(("", path));
            by_module.entry(module).or_default().push(item);
        }
        let mut lines: Vec<String> = by_module
            .iter()
            .map(|(m, items)| match items.as_slice() {
                [one] => format!("use {m}::{one};"),
                many => format!("use {m}::{{{}}};", many.join(", ")),
            })
            .collect();
        lines.sort();
        lines.join("\n") + "\n"
    }

    /// The helpers' code, in the order of `shared.rs`.
    pub fn helpers_code(&self) -> String {
        sections()
            .iter()
            .filter(|s| self.helpers.contains(s.name))
            .map(|s| s.code.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_helper_section_is_named_and_its_needs_exist() {
        let all = sections();
        assert!(all.len() >= 14, "{} sections", all.len());
        for s in all {
            assert!(!s.code.trim().is_empty(), "{} is empty", s.name);
            assert!(!s.code.contains("\npub ") && !s.code.starts_with("pub "), "{}", s.name);
            for d in &s.needs {
                assert!(all.iter().any(|t| t.name == *d), "{} needs unknown {d}", s.name);
            }
        }
    }

    #[test]
    fn imports_group_by_module() {
        let mut n = Needs::file();
        n.helper("conv_spec");
        let code = n.imports_code();
        assert!(code.contains("use burn::nn::conv::{Conv2d, Conv2dConfig};"), "{code}");
        assert!(code.contains("use burn::nn::PaddingConfig2d;"), "{code}");
        assert!(code.contains("use burn::tensor::{Device, Tensor};"), "{code}");
        assert!(n.helpers_code().contains("fn padding2d("));
    }
}
