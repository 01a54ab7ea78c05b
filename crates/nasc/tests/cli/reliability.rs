//! Reliability through the binary, where an abort or a hang would show: structural extremes
//! of specs, every flag's bad values (one CLI contract), killed and resumed training runs,
//! and bit-exact resume. Each child runs under a watchdog.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs nasc with a watchdog: a child still running after `limit` is killed and reported.
fn nasc_in(dir: &Path, args: &[&str], limit: Duration) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nasc");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("nasc {args:?} still running after {limit:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run { code: status.code(), stdout: t_out.join().unwrap(), stderr: t_err.join().unwrap() }
}

fn nasc(args: &[&str]) -> Run {
    nasc_in(&nasc_test_support::root(), args, Duration::from_secs(120))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nasc-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn net(stage: &str) -> String {
    format!("network n(C: int = 8) {{\n input [1, 8, 8]\n classes 2\n stage s = {stage}\n}}\n")
}

/// Structural extremes: each must end in exit 0 or 1 (never an abort, panic or hang).
fn extremes() -> Vec<(&'static str, String)> {
    let tail = " -> global_avg_pool -> linear(classes)";
    let mut v = vec![
        ("plus chain", net(&format!("conv(3x3, {}){tail}", vec!["1"; 100_000].join("+")))),
        ("unary minus chain", net(&format!("conv(3x3, {}1){tail}", "-".repeat(50_000)))),
        ("arrow chain", net(&format!("{}{tail}", vec!["relu"; 50_000].join(" -> ")))),
        ("nested parens", net(&format!("conv(3x3, {}1{}){tail}", "(".repeat(30_000), ")".repeat(30_000)))),
        ("nested lists", format!("let x = {}{}\n{}", "[".repeat(30_000), "]".repeat(30_000), net(&format!("relu{tail}")))),
        ("nested calls", net(&format!("conv(3x3, {}1{}){tail}", "max(1, ".repeat(10_000), ")".repeat(10_000)))),
        ("unclosed parens", net(&"(".repeat(100_000))),
        ("deep braces", "cell c {\n".repeat(5_000)),
        ("reserved items", "cell c {\n".repeat(24) + "}"),
        ("many errors", net(&format!("conv(3x3, 1) -> {}", vec!["nope"; 20_000].join(" -> ")))),
        ("long line", net(&format!("{}nope{tail}", " ".repeat(70_000)))),
        ("pool 0x0", net(&format!("max_pool(0x0){tail}"))),
        ("conv 0x0", net(&format!("conv(0x0, 4){tail}"))),
        ("huge padding", net(&format!("conv(3x3, 4, padding=2147483647){tail}"))),
        ("huge input", "network n { input [3, 100000, 100000] classes 2 stage s = global_avg_pool -> linear(classes) }".into()),
        ("huge conv", net(&format!("conv(3x3, 2000000000){tail}"))),
        ("huge BA", net(&format!("random(BA(10000000, 5000), 8){tail}"))),
        ("huge ER", net(&format!("random(ER(100000, 0.5), 8){tail}"))),
        ("dense WS", net(&format!("random(WS(2000, 1998, 0.5), 8){tail}"))),
        ("nearly complete WS", net(&format!("random(WS(200, 198, 0.9), 8){tail}"))),
        ("growing padding", net(&format!("{}{tail}", vec!["conv(1x1, 8, padding=1024)"; 64].join(" -> ")))),
        ("wide concat", net(&format!("conv(1x1, 1048576) -> random(WS(64, 4, 0.5), 1048576, agg=concat){tail}"))),
        ("random bytes", String::from_utf8_lossy(&(0..20_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect::<Vec<_>>()).into_owned()),
    ];
    let mut chain: String = (0..50_000).map(|i| format!("let a{i} = a{}\n", i + 1)).collect();
    chain += &format!("let a50000 = relu\n{}", net(&format!("a0{tail}")));
    v.push(("let chain", chain.clone()));
    v.push(("let cycle", chain.replace("let a50000 = relu", "let a50000 = a0")));
    let edges: Vec<String> =
        (0..100_000).map(|i| format!("{} -> {}", i % 999, i % 999 + 1)).collect();
    v.push((
        "explicit graph, many edges",
        net(&format!("random(graph(1000, [{}]), 8){tail}", edges.join(", "))),
    ));
    v
}

#[test]
fn structural_extremes_never_crash_or_hang() {
    let dir = tmpdir("extremes");
    for (name, src) in extremes() {
        let path = dir.join("x.nas");
        std::fs::write(&path, &src).unwrap();
        for args in [&["check", "x.nas"][..], &["check", "x.nas", "--message-format", "json"][..]] {
            let r = nasc_in(&dir, args, Duration::from_secs(60));
            assert!(
                matches!(r.code, Some(0 | 1)),
                "{name}: exit {:?}\n{}",
                r.code,
                &r.stderr[..r.stderr.len().min(2000)]
            );
            assert!(
                !r.stderr.contains("panicked") && !r.stderr.contains("internal compiler error"),
                "{name}: {}",
                &r.stderr[..r.stderr.len().min(2000)]
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn large_graphs_emit_every_backend() {
    // --emit burn used to be quadratic in graph size; every emitter must finish.
    let dir = tmpdir("emit");
    std::fs::write(
        dir.join("big.nas"),
        net("random(WS(40000, 4, 0.5), 4) -> global_avg_pool -> linear(classes)"),
    )
    .unwrap();
    for emit in ["ir", "json", "dot"] {
        let r = nasc_in(
            &dir,
            &["build", "big.nas", "--emit", emit, "-o", &format!("big.{emit}")],
            Duration::from_secs(120),
        );
        assert_eq!(r.code, Some(0), "{emit}: {}", r.stderr);
    }
    let r = nasc_in(
        &dir,
        &["build", "big.nas", "--emit", "burn", "-o", "crate"],
        Duration::from_secs(120),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_flag_rejects_bad_values_as_usage_errors_before_any_work() {
    let spec = "specs/randwire_ws_fmnist.nas";
    let bad: &[(&[&str], &str)] = &[
        (&["--epochs", "0"], "epochs"),
        (&["--epochs", "-3"], "epochs"),
        (&["--batch-size", "0"], "batch size"),
        (&["--batch-size", "99999999999"], "batch size"),
        (&["--lr", "-1"], "learning rate"),
        (&["--lr", "0"], "learning rate"),
        (&["--lr", "nan"], "learning rate"),
        (&["--lr", "inf"], "learning rate"),
        (&["--weight-decay", "-0.1"], "weight decay"),
        (&["--weight-decay", "NaN"], "weight decay"),
        (&["--limit-test", "0"], "limit"),
        (&["--limit-train", "0"], "limit"),
        (&["--limit-train", "-5"], "limit"),
        (&["--resume", "--force"], "cannot be used"),
    ];
    for (flags, word) in bad {
        let mut args = vec!["train", spec];
        args.extend_from_slice(flags);
        let r = nasc(&args);
        assert_eq!(r.code, Some(2), "{flags:?}: {}", r.stderr);
        assert!(r.stderr.contains(word), "{flags:?} should name `{word}`: {}", r.stderr);
        assert!(
            !r.stderr.contains("training "),
            "{flags:?}: work started before validation: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("to pass '-"), "{flags:?}: clap's misleading tip: {}", r.stderr);
    }
    for (flags, word) in
        [(&["--steps", "0"][..], "steps"), (&["--batch-size", "-1"][..], "batch size")]
    {
        let mut args = vec!["bench", spec];
        args.extend_from_slice(flags);
        let r = nasc(&args);
        assert_eq!(r.code, Some(2), "{flags:?}: {}", r.stderr);
        assert!(r.stderr.contains(word), "{}", r.stderr);
    }
    // The command line's mistakes about the spec are usage errors too (exit 2) ...
    assert_eq!(nasc(&["check", spec, "--set", "nope=3"]).code, Some(2));
    assert_eq!(nasc(&["check", spec, "--set", "C=abc"]).code, Some(2));
    assert_eq!(
        nasc(&["check", spec, "--set", "C=1.5"]).code,
        Some(2),
        "an int parameter set to a float"
    );
    assert_eq!(nasc(&["check", spec, "--set", "C"]).code, Some(2));
    assert_eq!(nasc(&["check", spec, "--network", "nope"]).code, Some(2));
    assert_eq!(nasc(&["check", spec, "--seed", "-1"]).code, Some(2));
    // ... while a spec made wrong by a valid override is a spec error (exit 1).
    assert_eq!(nasc(&["check", spec, "--set", "C=0"]).code, Some(1));
    // Global options work after the subcommand and are listed apart in its help.
    assert_eq!(nasc(&["stats", spec, "--set", "C=16"]).code, Some(0));
    let help = nasc(&["train", "--help"]).stdout;
    assert!(help.contains("Global options") && help.contains("--set"), "{help}");
    // A huge limit is clamped to the data, never a capacity overflow.
    let dir = tmpdir("limit");
    let r = nasc_in(
        &dir,
        &[
            "train",
            &format!("{}/{spec}", nasc_test_support::root().display()),
            "--data",
            "synthetic",
            "--limit-train",
            "18446744073709551615",
            "--epochs",
            "1",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("synthetic") && !r.stderr.contains("panicked"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn seed_without_a_seed_parameter_warns() {
    let r = nasc(&["check", "examples/plain_cnn.nas", "--seed", "4"]);
    assert_eq!(r.code, Some(0));
    assert!(r.stderr.contains("W003"), "{}", r.stderr);
}

#[test]
fn json_ir_seeds_survive_53_bit_readers() {
    let r =
        nasc(&["build", "specs/randwire_ws.nas", "--seed", "9007199254740993", "--emit", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["seed"], "9007199254740993");
    assert!(
        v["stages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["graphs"].as_array().unwrap())
            .all(|g| g["seed"].is_string())
    );
    assert_eq!(v["params"]["seed"], "9007199254740993", "int parameters beyond 2^53 are strings");
}

const TINY: &str = "network tiny(C: int = 8, seed: int = 0) {\n  input [1, 8, 8]\n  classes 3\n  stage a = conv(3x3, C) -> bn\n  stage g = random(WS(6, 2, 0.5), C)\n  stage h = relu -> global_avg_pool -> dropout(0.3) -> linear(classes)\n}\n";

fn train_args<'a>(out: &'a str, epochs: &'a str) -> Vec<&'a str> {
    vec![
        "train",
        "tiny.nas",
        "--data",
        "synthetic",
        "--limit-train",
        "96",
        "--limit-test",
        "32",
        "--batch-size",
        "16",
        "--epochs",
        epochs,
        "--out",
        out,
        "--quiet",
    ]
}

#[test]
fn a_killed_and_resumed_run_is_bit_identical_to_an_uninterrupted_one() {
    resume_is_exact("exact", TINY);
}

/// A learned wiring (papers.md §4): the checkpoint keeps the edge weights, so the resumed run
/// chooses the same edges and ends with the same weights.
#[test]
fn a_resumed_learned_wiring_run_is_bit_identical_too() {
    resume_is_exact(
        "exact-dnw",
        &TINY.replace("random(WS(6, 2, 0.5), C)", "learned(nodes=5, edges=7)"),
    );
}

fn resume_is_exact(name: &str, spec: &str) {
    let dir = tmpdir(name);
    std::fs::write(dir.join("tiny.nas"), spec).unwrap();
    let limit = Duration::from_secs(120);
    assert_eq!(nasc_in(&dir, &train_args("a", "3"), limit).code, Some(0));
    let mut halted = train_args("b", "3");
    halted.extend(["--halt-after-epoch", "1"]);
    let r = nasc_in(&dir, &halted, limit);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let mut resumed = train_args("b", "3");
    resumed.push("--resume");
    let r = nasc_in(&dir, &resumed, limit);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Burnpack: magic "NRUB", u16 version, u32 LE header length, header (names, shapes and
    // Burn's random per-run parameter ids), then the tensor bytes, which must be identical.
    let tensors = |p: PathBuf| {
        let b = std::fs::read(p).unwrap();
        assert_eq!(&b[..4], b"NRUB");
        let h = u32::from_le_bytes([b[6], b[7], b[8], b[9]]) as usize;
        b[10 + h..].to_vec()
    };
    let (a, b) = (tensors(dir.join("a/model.bpk")), tensors(dir.join("b/model.bpk")));
    assert!(a.len() > 1000 && a == b, "final weights differ after resume");
    // metrics.csv without its two timing columns (images/s, seconds) and edge_swaps.
    let strip = |p: PathBuf| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| l.rsplitn(4, ',').nth(3).unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(dir.join("a/metrics.csv")), strip(dir.join("b/metrics.csv")));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn runs_killed_at_random_moments_always_resume() {
    let dir = tmpdir("kill");
    std::fs::write(dir.join("tiny.nas"), TINY).unwrap();
    let bin = env!("CARGO_BIN_EXE_nasc");
    // A fixed LCG picks the kill moments: reproducible, spread over checkpoint writes.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut resumed = 0;
    for round in 0..12 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(20 + (x >> 33) % 400);
        let mut args = train_args("run", "400");
        if nasc_burn::checkpoint::latest_checkpoint(&dir.join("run")).is_some() {
            args.push("--resume");
        } else {
            args.push("--force");
        }
        let mut child = Command::new(bin)
            .args(&args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL: no chance to clean up
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("cannot resume") && !err.contains("panicked"),
            "round {round}: {err}"
        );
        if args.contains(&"--resume") {
            resumed += 1;
        }
    }
    assert!(resumed >= 3, "only {resumed} rounds found a checkpoint to resume");
    // The last checkpoint loads and the run finishes.
    let mut args = train_args("run", "400");
    args.push("--resume");
    let r = nasc_in(&dir, &args, Duration::from_secs(300));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).ok();
}
