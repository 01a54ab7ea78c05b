//! In-process fuzzing of the whole front end and the emitters: seeded generation and
//! mutation of specs, each compiled, rendered (people and JSON) and, when it compiles,
//! emitted as text/JSON/DOT, counted and generated as Burn code. A watchdog thread aborts on
//! any input that runs longer than 10 s, and a counting allocator aborts past 4 GiB live, so
//! hangs and runaway allocation fail the run like panics do; every failure prints the input.
//!
//! `cargo test --release -p nasc --test cli fuzz` runs a bounded slice (CI). The long campaign:
//! `NASC_FUZZ_ITERS=1000000 cargo test --release -p nasc --test cli fuzz -- --nocapture`
//! (`NASC_FUZZ_SEED` picks another stream).

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MEMORY_CAP: usize = 4 << 30;
const TIME_CAP: Duration = Duration::from_secs(10);

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The input being compiled, for the failure report (set before each case).
static INPUT_PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static INPUT_LEN: AtomicUsize = AtomicUsize::new(0);
/// Case number and its start (ms since the campaign began); u64::MAX when idle.
static CASE_START: AtomicU64 = AtomicU64::new(u64::MAX);

fn report_and_abort(why: &str) -> ! {
    use std::io::Write;
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(b"\nfuzz: ");
    let _ = e.write_all(why.as_bytes());
    let _ = e.write_all(b"; input:\n-----\n");
    let (p, n) = (INPUT_PTR.load(Ordering::SeqCst), INPUT_LEN.load(Ordering::SeqCst));
    if !p.is_null() {
        // SAFETY: the pointer and length describe the input string, alive while its case runs.
        let _ = e.write_all(unsafe { std::slice::from_raw_parts(p, n.min(4000)) });
    }
    let _ = e.write_all(b"\n-----\n");
    std::process::abort();
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size() > MEMORY_CAP {
            report_and_abort("more than 4 GiB live");
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > l.size()
            && LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + (new - l.size()) > MEMORY_CAP
        {
            report_and_abort("more than 4 GiB live");
        }
        if new < l.size() {
            LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn corpus() -> Vec<String> {
    let root = &nasc_test_support::root();
    let mut v = Vec::new();
    for dir in ["specs", "examples", "zoo", "tests/diagnostics"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "nas"))
            .collect();
        files.sort();
        v.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    v
}

const TOKENS: &[&str] = &[
    "->",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    ":",
    ";",
    "0",
    "1",
    "2",
    "-1",
    "-",
    "+",
    "*",
    "/",
    "%",
    "3x3",
    "0x0",
    "0x3",
    "1x1024",
    "1025x1",
    "7x7",
    "99999999999999999999",
    "2147483647",
    "4294967296",
    "9223372036854775807",
    "0.5",
    "1e400",
    "-0.0",
    "nan",
    "C",
    "N",
    "seed",
    "classes",
    "relu",
    "bn",
    "conv",
    "sep_conv",
    "dw_conv",
    "max_pool",
    "avg_pool",
    "dropout",
    "flatten",
    "identity",
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
    "cell",
    "motif",
    "import",
    "search",
    "//",
    "/*",
    "*/",
    "\"",
    "\n",
    "stride=",
    "padding=",
    "groups=",
    "dilation=",
    "agg=concat",
    "agg=mean",
    "node=",
    "seed=",
    "multiplier=",
    "round(",
    "min(",
    "max(",
    "float",
    "int",
    "é",
    "\u{1F600}",
    "block",
    "output",
    "import hier",
    "import darts",
    "residual(",
    "repeat(",
    "zero",
    "shift",
    "concat(",
    "if(",
    "==",
    "<",
    "motif(",
    "cells(",
    "Genotype(",
    "normal(",
    "reduce(",
    "convention=darts",
    "convention=tf_slim",
    "'sep_conv_3x3'",
    "none",
    "'none'",
    "level=",
    "nodes=",
    "edges=",
    "first=",
    "shortcut=",
    "count_pad=false",
    "x +",
    "input x",
    "[x, x]",
    " in ",
    " in log ",
    "..",
    " step ",
    "{1, 2, 4}",
    "{a, b}",
    "require ",
    "anynet(",
    "regnet(",
    "half_up",
    "half_even",
    "rounding=",
    "se_ratio=",
    "w_in=",
    "sigmoid",
    "keepdim=true",
    "x * ",
    "import regnet",
    "x_block(",
    "(1, 32, 1.0, 8)",
];

const OPS: &[&str] =
    &["relu", "bn", "identity", "relu", "bn", "dropout(0.1)", "flatten", "global_avg_pool"];

fn num(rng: &mut ChaCha8Rng) -> String {
    num_at(rng, 0)
}

fn num_at(rng: &mut ChaCha8Rng, depth: u32) -> String {
    if depth >= 3 {
        return rng.random_range(1..17).to_string();
    }
    match rng.random_range(0..40) {
        0 => "0".into(),
        1 => "-1".into(),
        2 => ["1024", "1025", "65536", "1048577", "2147483647", "9223372036854775807"]
            .choose(rng)
            .unwrap()
            .to_string(),
        3..12 => "C".into(),
        12..16 => format!("C * {}", rng.random_range(1..4)),
        _ => rng.random_range(1..33).to_string(),
    }
}

/// A random op expression (a generator of mostly valid structure with hostile values).
fn op(rng: &mut ChaCha8Rng, depth: u32) -> String {
    match rng.random_range(0..21) {
        12 if depth < 2 => format!("residual({})", pipeline(rng, depth + 1)),
        13 if depth < 2 => format!(
            "repeat({}, {}, first={})",
            rng.random_range(-1..4),
            pipeline(rng, depth + 1),
            pipeline(rng, depth + 1)
        ),
        14 => ["zero", "zero(2)", "shift", "avg_pool(3x3, stride=1, padding=1, count_pad=false)"]
            .choose(rng)
            .unwrap()
            .to_string(),
        15 => format!("basic({}, stride={})", num_at(rng, depth), rng.random_range(0..3)),
        16 => ["m", "twin(C)", "sep_conv_3x3", "dw_conv(3x3, dilation=2)", "sigmoid", "gate(C)"]
            .choose(rng)
            .unwrap()
            .to_string(),
        17 if depth < 1 => anynet_op(rng, depth),
        18 if depth < 1 => format!(
            "anynet(regnet({}, {}, {}, {}, {}, rounding={}), se_ratio=0.25)",
            rng.random_range(-1..8),
            [8, 16, 24, 12, 0].choose(rng).unwrap(),
            ["4.5", "12", "0", "-1", "300.5"].choose(rng).unwrap(),
            ["1.5", "2.5", "1.0", "0.5", "9"].choose(rng).unwrap(),
            [1, 4, 8, 16, 0].choose(rng).unwrap(),
            ["half_even", "half_up", "'down'"].choose(rng).unwrap()
        ),
        19 => learned_op(rng),
        20 => wired_op(rng),
        0 => format!(
            "conv({}x{}, {}, stride={}, padding={})",
            rng.random_range(0..6),
            rng.random_range(1..6),
            num_at(rng, depth),
            rng.random_range(1..3),
            rng.random_range(0..3)
        ),
        1 => format!("sep_conv({}, {})", rng.random_range(1..8), num_at(rng, depth)),
        2 => {
            let lo = if rng.random_bool(0.1) { 0 } else { 1 };
            format!("dw_conv({}, multiplier={})", rng.random_range(1..6), rng.random_range(lo..3))
        }
        3 => format!("max_pool({}, stride={})", rng.random_range(1..4), rng.random_range(1..3)),
        4 => format!(
            "avg_pool({}x{}, padding={})",
            rng.random_range(2..5),
            rng.random_range(2..5),
            rng.random_range(0..2)
        ),
        5 if depth < 1 => random_op(rng, depth),
        6 => "relu".into(),
        7 if depth == 0 => "d".into(),
        _ => {
            let n = if rng.random_bool(0.05) { OPS.len() } else { OPS.len() - 2 };
            OPS[rng.random_range(0..n)].to_string()
        }
    }
}

/// `anynet([(depth, width, bottleneck, group_width), ...])` with hostile stages.
fn anynet_op(rng: &mut ChaCha8Rng, depth: u32) -> String {
    let stages: Vec<String> = (0..rng.random_range(0..4))
        .map(|_| {
            format!(
                "({}, {}, {}, {})",
                rng.random_range(-1..3),
                num_at(rng, depth + 1),
                ["1.0", "0.5", "0.25", "0", "2"].choose(rng).unwrap(),
                [1, 2, 4, 8, 16, 0].choose(rng).unwrap()
            )
        })
        .collect();
    format!(
        "anynet([{}], w_in={}, se_ratio={})",
        stages.join(", "),
        num_at(rng, depth + 1),
        ["0", "0.25", "1.5"].choose(rng).unwrap()
    )
}

/// `learned(...)` with hostile node and edge counts and options.
fn learned_op(rng: &mut ChaCha8Rng) -> String {
    format!(
        "learned(nodes={}, edges={}{}{})",
        rng.random_range(-1..9),
        rng.random_range(-1..50),
        ["", ", select=per_node", ", select=global", ", select=3"].choose(rng).unwrap(),
        [
            "",
            ", wiring=\"random\"",
            ", wiring=\"learned\"",
            ", node=relu -> conv(3x3) -> bn",
            ", node=conv(3x3, stride=2)"
        ]
        .choose(rng)
        .unwrap()
    )
}

/// `wired(...)` with edges that may not exist.
fn wired_op(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(-1..7);
    let edges: Vec<String> = (0..rng.random_range(0..8))
        .map(|_| {
            format!(
                "{} -> {}",
                rng.random_range(-1..n.max(0) + 2),
                rng.random_range(-1..n.max(0) + 3)
            )
        })
        .collect();
    format!("wired(nodes={n}, edges=[{}])", edges.join(", "))
}

/// `random(GENERATOR, C, ...)`: every generator, explicit graphs with bad edges now and then.
fn random_op(rng: &mut ChaCha8Rng, depth: u32) -> String {
    let generator = match rng.random_range(0..4) {
        0 => format!(
            "WS({}, {}, 0.{})",
            rng.random_range(3..40),
            2 * rng.random_range(1..4),
            rng.random_range(0..10)
        ),
        1 => format!("ER({}, 0.{})", rng.random_range(2..40), rng.random_range(0..10)),
        2 => format!("BA({}, {})", rng.random_range(2..40), rng.random_range(1..4)),
        _ => {
            let n = rng.random_range(2..8);
            let bad = if rng.random_bool(0.1) { 1 } else { 0 };
            let edges: Vec<String> = (0..rng.random_range(0..8))
                .map(|_| {
                    let u = rng.random_range(-bad..n - 1);
                    format!("{u} -> {}", rng.random_range(u.max(0) + 1 - bad..n + bad))
                })
                .collect();
            format!("graph({n}, [{}])", edges.join(", "))
        }
    };
    let node = if rng.random_bool(0.3) {
        format!(", node=relu -> conv(3x3) -> {}", pipeline(rng, depth + 1))
    } else {
        String::new()
    };
    let agg = ["", ", agg=concat", ", agg=mean", ", agg=sum"].choose(rng).unwrap();
    format!("random({generator}, {}{node}{agg}, stride={})", num(rng), rng.random_range(1..3))
}

fn pipeline(rng: &mut ChaCha8Rng, depth: u32) -> String {
    let n = rng.random_range(1..6);
    (0..n).map(|_| op(rng, depth)).collect::<Vec<_>>().join(" -> ")
}

/// Language v2 definitions every generated spec carries: a motif, a two-branch block and
/// a genotype, with hostile values now and then.
fn v2_defs(rng: &mut ChaCha8Rng) -> String {
    let hostile = rng.random_bool(0.2);
    let prims = [
        "conv_1x1",
        "dw_conv_3x3",
        "sep_conv_3x3",
        "max_pool_3x3",
        "avg_pool_3x3",
        "identity",
        "none",
        "m",
    ];
    let n: i32 = rng.random_range(2..7);
    // A chain 0 -> 1 -> ... keeps the output reachable; extra edges go forward.
    let mut edges: Vec<String> = (0..n - 1)
        .map(|i| format!("({i}, {}, {})", i + 1, prims[rng.random_range(0..6)]))
        .collect();
    for _ in 0..rng.random_range(0..5) {
        let (i, j) = if hostile {
            (rng.random_range(-1..n), rng.random_range(0..n + 1))
        } else {
            let i = rng.random_range(0..n - 1);
            (i, rng.random_range(i + 1..n))
        };
        if hostile || !edges.iter().any(|e| e.starts_with(&format!("({i}, {j},"))) {
            edges.push(format!(
                "({i}, {j}, {})",
                prims[rng.random_range(0..if hostile { 8 } else { 7 })]
            ));
        }
    }
    let ops = [
        "sep_conv_3x3",
        "skip_connect",
        "none",
        "max_pool_3x3",
        "dil_conv_5x5",
        "conv_7x1_1x7",
        "avg_pool_3x3",
        "nope",
    ];
    let pairs = |rng: &mut ChaCha8Rng| -> String {
        let k = 2 * rng.random_range(1..4) + if hostile { rng.random_range(0..2) } else { 0 };
        (0..k)
            .map(|e: i32| {
                let idx = if hostile {
                    rng.random_range(-1..e / 2 + 3)
                } else {
                    rng.random_range(0..e / 2 + 2)
                };
                format!("('{}', {idx})", ops[rng.random_range(0..if hostile { 8 } else { 7 })])
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "import hier\nimport blocks\nlet m = motif(level={}, nodes={n}, edges=[{}])\nblock twin(c: int) {{\n  input x\n  let a = x -> {}\n  output {}\n}}\nblock gate(c: int) {{\n  input x\n  output x * (x -> global_avg_pool(keepdim=true) -> conv(1x1, c, bias=true) -> sigmoid)\n}}\nlet G = Genotype(normal=[{}], reduce=[{}])\n",
        if hostile { rng.random_range(1..4) } else { 2 },
        edges.join(", "),
        pipeline(rng, 2),
        ["a + x", "concat(a, x)", "a", "[a, x] -> twin(c)"].choose(rng).unwrap(),
        pairs(rng),
        pairs(rng)
    )
}

fn generated(rng: &mut ChaCha8Rng) -> String {
    let side = [1, 8, 16, 28, 32, 65537][rng.random_range(0..6)];
    // Sometimes a design space: domains (now and then malformed or missed by the default).
    let domain = [
        "",
        " in 1..64",
        " in {8, 16, 32}",
        " in log 4..64 step 4",
        " in 8..4",
        " in log 0..8",
        " in {1.5}",
    ]
    .choose(rng)
    .unwrap();
    let mut s = format!(
        "{}let d = {}\nnetwork g(C: int{domain} = {}, seed: int = {}, k: {{a, b}} = {}) {{\n  input [{}, {side}, {side}]\n  classes {}\n",
        v2_defs(rng),
        pipeline(rng, 3),
        rng.random_range(1..33),
        rng.random_range(0..5),
        ["a", "b", "c"].choose(rng).unwrap(),
        rng.random_range(1..4),
        num(rng)
    );
    if rng.random_bool(0.3) {
        s += &format!("  require {} <= C, \"C is large enough\"\n", rng.random_range(0..20));
    }
    for i in 0..rng.random_range(1..5) {
        s += &format!("  stage s{i} = {}\n", pipeline(rng, 0));
    }
    if rng.random_bool(0.3) {
        let conv = ["darts", "tf_slim", "darts", "tf_slim", "nasnet"].choose(rng).unwrap();
        s += &format!(
            "  stage c = cells(G, convention={conv}, layout=[normal(C), reduce({}), normal(2 * C)])\n",
            num(rng)
        );
    }
    s += "  stage head = global_avg_pool -> linear(classes)\n}\n";
    s
}

fn boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut ChaCha8Rng, corpus: &[String]) -> String {
    let mut s = corpus.choose(rng).unwrap().clone();
    for _ in 0..rng.random_range(1..4) {
        let a = boundary(&s, rng.random_range(0..=s.len()));
        let b = boundary(&s, (a + rng.random_range(0..40)).min(s.len())).max(a);
        s = match rng.random_range(0..9) {
            0 => s[..a].to_string(),
            1 => format!("{}{}{}", &s[..a], TOKENS.choose(rng).unwrap(), &s[a..]),
            2 => format!("{}{}", &s[..a], &s[b..]),
            3 => format!("{}{}{}", &s[..a], TOKENS.choose(rng).unwrap(), &s[b..]),
            4 => format!("{}{}{}", &s[..b], &s[a..b].repeat(rng.random_range(2..200)), &s[b..]),
            5 => {
                let n = rng.random_range(1..300);
                format!("{}{}{}{}{}", &s[..a], "(".repeat(n), &s[a..b], ")".repeat(n), &s[b..])
            }
            6 => {
                let other = corpus.choose(rng).unwrap();
                let c = boundary(other, rng.random_range(0..=other.len()));
                format!("{}{}", &s[..a], &other[c..])
            }
            7 => {
                let bytes: Vec<u8> = (0..rng.random_range(1..16)).map(|_| rng.random()).collect();
                format!("{}{}{}", &s[..a], String::from_utf8_lossy(&bytes), &s[a..])
            }
            _ => {
                // Replace a number with an extreme value.
                match s[a..].find(|c: char| c.is_ascii_digit()) {
                    Some(off) => {
                        let st = a + off;
                        let en = st
                            + s[st..].find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len() - st);
                        let v = [
                            "0",
                            "1",
                            "1023",
                            "1024",
                            "1025",
                            "65535",
                            "65536",
                            "2147483647",
                            "4294967295",
                            "18446744073709551615",
                        ]
                        .choose(rng)
                        .unwrap();
                        format!("{}{v}{}", &s[..st], &s[en..])
                    }
                    None => s,
                }
            }
        };
    }
    s
}

/// `nasc fmt` on an input that parses: idempotent, only whitespace changed, and the same
/// diagnostics (by code) and the same network as the original.
fn formatted_the_same(src: &str, c: &nasc_core::driver::Compiled) -> Result<(), String> {
    if nasc_core::syntax::parse(src).is_err() {
        return Ok(());
    }
    let f = nasc_core::fmt::format(src);
    if nasc_core::fmt::format(&f) != f {
        return Err("fmt is not idempotent".into());
    }
    if nasc_core::fmt::tokens(&f) != nasc_core::fmt::tokens(src) {
        return Err("fmt changed a token".into());
    }
    let g = nasc_core::compile(&f, &Default::default()).map_err(|e| format!("formatted: {e}"))?;
    let codes = |c: &nasc_core::driver::Compiled| {
        c.diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>()
    };
    if codes(c) != codes(&g) {
        return Err(format!("fmt changed the diagnostics: {:?} -> {:?}", codes(c), codes(&g)));
    }
    let json = |c: &nasc_core::driver::Compiled, s: &str| {
        c.ir.as_ref().map(|ir| {
            nasc_core::emit::text::emit(ir, s)
                .lines()
                .map(|l| l.split(" @").next().unwrap_or(l).to_string())
                .collect::<Vec<_>>()
        })
    };
    if json(c, src) != json(&g, &f) {
        return Err("fmt changed the network".into());
    }
    Ok(())
}

fn exercise(src: &str) -> Result<bool, String> {
    let opts = nasc_core::check::Options::default();
    let c = nasc_core::compile(src, &opts)
        .map_err(|e| format!("IR verifier rejected a checked spec: {e}"))?;
    formatted_the_same(src, &c)?;
    nasc_lsp::exercise(src);
    let r = nasc_core::diag::Renderer { color: false, width: 100 };
    let _ = r.render_all(&c.diags, "fuzz.nas", src);
    let index = nasc_core::diag::LineIndex::new(src);
    for d in c.diags.iter() {
        let _ = nasc_core::diag::to_json_line_indexed(d, "fuzz.nas", &index);
    }
    if let Some(ir) = c.ir {
        let _ = nasc_core::stats::table(&nasc_core::stats::stats(&ir));
        let _ = nasc_core::emit::text::emit(&ir, src);
        let _ = nasc_core::emit::json::emit(&ir);
        let _ = nasc_core::emit::dot::emit(&ir);
        if ir.graph.node_count() < 2000 {
            let _ = nasc_burn::codegen::generate(&ir, "fuzz.nas");
        }
        return Ok(true);
    }
    Ok(false)
}

#[test]
fn fuzz_compile_render_and_emit() {
    let iters: u64 =
        std::env::var("NASC_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let seed: u64 =
        std::env::var("NASC_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x6e617363);
    let corpus = corpus();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let start = CASE_START.load(Ordering::SeqCst);
            if start != u64::MAX
                && t0.elapsed().as_millis() as u64 > start + TIME_CAP.as_millis() as u64
            {
                report_and_abort("an input ran for more than 10 s");
            }
        }
    });
    std::panic::set_hook(Box::new(|info| {
        eprintln!("fuzz: panic: {info}");
    }));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut failures = Vec::new();
    let mut bytes = 0usize;
    let mut compiled = 0u64;
    for i in 0..iters {
        let src = match i % 4 {
            0 => generated(&mut rng),
            _ => mutate(&mut rng, &corpus),
        };
        bytes += src.len();
        INPUT_PTR.store(src.as_ptr() as *mut u8, Ordering::SeqCst);
        INPUT_LEN.store(src.len(), Ordering::SeqCst);
        CASE_START.store(t0.elapsed().as_millis() as u64, Ordering::SeqCst);
        let r = std::panic::catch_unwind(|| exercise(&src));
        CASE_START.store(u64::MAX, Ordering::SeqCst);
        INPUT_PTR.store(std::ptr::null_mut(), Ordering::SeqCst);
        match r {
            Ok(Ok(ok)) => compiled += ok as u64,
            Ok(Err(e)) => failures.push(format!("case {i}: {e}\n{src}")),
            Err(_) => failures.push(format!("case {i}: panic\n{src}")),
        }
        if failures.len() >= 5 {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: {iters} inputs ({:.1} MB, {compiled} compiled to IR) in {secs:.1} s: {:.0} inputs/s, seed {seed:#x}, {} failures",
        bytes as f64 / 1e6,
        iters as f64 / secs,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n=====\n"));
}
