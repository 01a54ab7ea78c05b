//! The checker must never panic: mutated and truncated specs and random bytes all end in
//! diagnostics (or a successful compile), never a crash.

use proptest::prelude::*;

fn corpus() -> Vec<String> {
    let root = &nasc_test_support::root();
    let mut v = Vec::new();
    for dir in ["specs", "examples", "zoo", "tests/diagnostics"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                if e.path().extension().is_some_and(|x| x == "nas") {
                    v.push(std::fs::read_to_string(e.path()).unwrap());
                }
            }
        }
    }
    v.sort();
    v
}

fn compile_never_panics(src: &str) {
    let opts = nasc_core::check::Options::default();
    // The verifier must accept whatever the checker lets through.
    let c = nasc_core::compile(src, &opts).expect("IR verifier rejected a checked spec");
    let r = nasc_core::diag::Renderer { color: false, width: 80 };
    for d in c.diags.iter() {
        let _ = r.render(d, "fuzz.nas", src);
        let _ = nasc_core::diag::to_json_line(d, "fuzz.nas", src);
    }
}

const TOKENS: &[&str] = &[
    "->",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "0",
    "1",
    "2",
    "-1",
    "3x3",
    "0x0",
    "99999999999999999999",
    "0.5",
    "1e400",
    "C",
    "N",
    "relu",
    "bn",
    "conv",
    "random",
    "WS",
    "ER",
    "BA",
    "graph",
    "linear",
    "global_avg_pool",
    "stage",
    "let",
    "network",
    "input",
    "classes",
    "/",
    "*",
    "%",
    "-",
    "{",
    "}",
    "//",
    "/*",
    "\"",
    "seed=",
    "stride=0",
    "groups=7",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 5000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs(idx in 0usize..1000, cut in 0usize..2000, at in 0usize..2000, tok in 0usize..TOKENS.len(), del in 0usize..8) {
        let c = corpus();
        let src = &c[idx % c.len()];
        // Truncation at a char boundary.
        let mut cut = cut.min(src.len());
        while !src.is_char_boundary(cut) { cut -= 1; }
        compile_never_panics(&src[..cut]);
        // Token insertion and deletion.
        let mut at = at.min(src.len());
        while !src.is_char_boundary(at) { at -= 1; }
        let mut end = (at + del).min(src.len());
        while !src.is_char_boundary(end) { end -= 1; }
        let mutated = format!("{}{}{}", &src[..at], TOKENS[tok], &src[end..]);
        compile_never_panics(&mutated);
    }

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        compile_never_panics(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_soup(toks in proptest::collection::vec(0usize..TOKENS.len(), 0..60)) {
        let body: Vec<&str> = toks.iter().map(|&t| TOKENS[t]).collect();
        compile_never_panics(&format!("network n(C: int = 8, N: int = 4) {{ input [1, 8, 8] classes 2 stage s = {} }}", body.join(" ")));
    }
}
