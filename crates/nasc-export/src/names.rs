//! Python identifiers for generated code: each from the end of an IR name without its index
//! components, as short as keeps it unique in its class (`stem.1.bn` -> `bn`;
//! `rw1.n3.1.sep_conv.dw` and `rw1.n4.1.sep_conv.dw` -> `n3_sep_conv_dw`, `n4_sep_conv_dw`),
//! numbered where that is not enough (`dw_conv`, `dw_conv_2`), never a keyword, a builtin,
//! or a name the module uses.

use std::collections::HashSet;

/// Python keywords, builtins a forward might shadow, and the module's own names.
pub(crate) const RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "match",
    "case",
    "type",
    "self",
    "super",
    "sum",
    "min",
    "max",
    "abs",
    "len",
    "range",
    "list",
    "input",
    "id",
    "map",
    "filter",
    "print",
    "object",
    "torch",
    "nn",
    "F",
    "Tensor",
    "math",
    "weighted_sum",
    "top_k_edges",
    "shift",
    "channel_shuffle",
    "drop_path",
    "layer_norm_channels",
    "layer_scale",
    "training",
    "forward",
    "train",
    "eval",
    "to",
    "cuda",
    "cpu",
    "float",
    "half",
    "double",
    "apply",
    "parameters",
    "buffers",
    "children",
    "modules",
    "state_dict",
    "zero_grad",
    "register_buffer",
    "register_parameter",
    "add_module",
    "get_submodule",
    "requires_grad_",
    "bfloat16",
    "share_memory",
    "extra_repr",
    "named_modules",
    "named_parameters",
    "named_buffers",
    "named_children",
];

/// The names taken in one class.
pub struct Namer {
    taken: HashSet<String>,
}

impl Default for Namer {
    fn default() -> Self {
        Self::new()
    }
}

impl Namer {
    pub fn new() -> Namer {
        Namer { taken: HashSet::new() }
    }

    /// Takes `name` (sanitised, made unique) and returns it.
    pub fn take(&mut self, name: &str) -> String {
        let base = sanitise(name);
        let mut n = base.clone();
        let mut k = 2;
        while self.taken.contains(&n)
            || RESERVED.contains(&n.as_str())
            || n.starts_with('d') && n[1..].parse::<u32>().is_ok()
        {
            n = format!("{base}_{k}");
            k += 1;
        }
        self.taken.insert(n.clone());
        n
    }

    /// Names for dotted paths, each the shortest run of trailing components that no other
    /// path shares.
    pub fn unique(&mut self, paths: &[String]) -> Vec<String> {
        // Index components (`0`, `1`) only where a path has nothing else.
        let parts: Vec<Vec<&str>> = paths
            .iter()
            .map(|p| {
                let all: Vec<&str> = p.split('.').filter(|s| !s.is_empty()).collect();
                let words: Vec<&str> =
                    all.iter().copied().filter(|s| s.parse::<u64>().is_err()).collect();
                if words.is_empty() { all } else { words }
            })
            .collect();
        let mut len: Vec<usize> = vec![1; paths.len()];
        let cand = |k: usize, l: usize| -> String {
            let p = &parts[k];
            sanitise(&p[p.len().saturating_sub(l)..].join("_"))
        };
        // Grow every colliding name by one component until none collides or none can grow
        // (bounded: each round grows at least one name, and a name at most to its length).
        loop {
            let names: Vec<String> = (0..paths.len()).map(|k| cand(k, len[k])).collect();
            let mut count: std::collections::HashMap<&str, usize> = Default::default();
            for n in &names {
                *count.entry(n.as_str()).or_default() += 1;
            }
            let mut grew = false;
            for k in 0..paths.len() {
                if count[names[k].as_str()] > 1 && len[k] < parts[k].len() {
                    len[k] += 1;
                    grew = true;
                }
            }
            if !grew {
                return names.iter().map(|n| self.take(n)).collect();
            }
        }
    }
}

/// A valid identifier: non-alphanumerics as `_`, a leading digit behind `m`.
fn sanitise(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'm');
    }
    s
}
