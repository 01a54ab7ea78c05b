//! End-to-end tests of the `nasc` binary: exit codes, flags, output formats.

use std::process::Command;

fn nasc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .args(args)
        .current_dir(nasc_test_support::root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run nasc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn exit_codes() {
    assert_eq!(nasc(&["check", "specs/randwire_ws.nas"]).0, 0);
    assert_eq!(nasc(&["check", "tests/diagnostics/E017_rank.nas"]).0, 1);
    assert_eq!(
        nasc(&["check", "tests/diagnostics/W001_unused_def.nas"]).0,
        0,
        "warnings alone succeed"
    );
    assert_eq!(nasc(&["check", "does/not/exist.nas"]).0, 2);
    assert_eq!(nasc(&["frobnicate"]).0, 2);
    assert_eq!(nasc(&["build", "specs/randwire_ws.nas", "--emit", "nonsense"]).0, 2);
    assert_eq!(nasc(&["--help"]).0, 0);
    // A --set value outside a genotype site's domain is the command line's mistake, as is a
    // name outside an enumeration; a number outside a parameter's sampling domain compiles,
    // with a warning (W004), and a preset may leave the domain without one.
    assert_eq!(nasc(&["--set", "a.0_1=bogus", "check", "examples/hierarchical_fmnist.nas"]).0, 2);
    assert_eq!(nasc(&["--set", "rounding=bogus", "check", "specs/regnet.nas"]).0, 2);
    let (code, _, err) = nasc(&["--set", "w0=264", "check", "specs/regnet.nas"]);
    assert!(code == 0 && err.contains("W004"), "{code}: {err}");
    let (code, _, err) = nasc(&["--preset", "regnet_x_32gf", "check", "specs/regnet.nas"]);
    assert!(code == 0 && !err.contains("W004"), "{code}: {err}");
    assert_eq!(nasc(&["--preset", "regnet_x_33gf", "check", "specs/regnet.nas"]).0, 2);
    assert_eq!(nasc(&["--preset", "regnet_x_32gf", "sample", "specs/regnet.nas", "-n", "1"]).0, 2);
}

#[test]
fn stats_json_has_top_level_totals() {
    let (code, out, _) = nasc(&["stats", "specs/randwire_ws.nas", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let params = v["params"].as_u64().unwrap();
    let flops = v["flops"].as_u64().unwrap();
    assert!(v["activations"].as_u64().unwrap() > 0);
    // The paper: about 5.6M parameters and 583M multiply-adds; nasc must land within 5%.
    assert!((params as f64 / 5.6e6 - 1.0).abs() < 0.05, "params {params}");
    assert!((flops as f64 / 583e6 - 1.0).abs() < 0.05, "flops {flops}");
    assert_eq!(v["stages"].as_array().unwrap().len(), 6);
}

#[test]
fn set_and_seed_change_the_network() {
    let base = nasc(&["stats", "specs/randwire_ws.nas", "--format", "json"]).1;
    let wide = nasc(&["--set", "C=154", "stats", "specs/randwire_ws.nas", "--format", "json"]).1;
    let p =
        |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["params"].as_u64().unwrap();
    assert!(p(&wide) > 3 * p(&base));
    for spec in [
        "specs/randwire_ws.nas",
        "specs/randwire_er.nas",
        "specs/randwire_ba.nas",
        "specs/randwire_regular.nas",
        "specs/randwire_ws_fmnist.nas",
    ] {
        let a = nasc(&["build", spec, "--emit", "json"]).1;
        let b = nasc(&["build", spec, "--emit", "json", "--seed", "1"]).1;
        let c = nasc(&["build", spec, "--emit", "json", "--seed", "1"]).1;
        assert_ne!(a, b, "{spec}: --seed must change the graphs");
        assert_eq!(b, c, "{spec}: same seed must give byte-identical output");
        let small = nasc(&["--set", "N=12", "--set", "C=16", "check", spec]);
        assert_eq!(small.0, 0, "{spec}: N and C must be overridable: {}", small.2);
    }
}

#[test]
fn json_messages_are_one_object_per_line() {
    let (code, _, err) =
        nasc(&["check", "tests/diagnostics/multi_errors.nas", "--message-format", "json"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 4);
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        for key in ["file", "line", "column", "span", "severity", "code", "message", "help"] {
            assert!(v.get(key).is_some(), "missing {key} in {l}");
        }
    }
}

#[test]
fn nothing_is_written_on_error() {
    let dir = std::env::temp_dir().join(format!("nasc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.json");
    let (code, _, _) = nasc(&[
        "build",
        "tests/diagnostics/E019_channels.nas",
        "--emit",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(!out.exists());
    let (code, _, _) = nasc(&[
        "build",
        "specs/randwire_ws_fmnist.nas",
        "--emit",
        "dot",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("// @generated"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["check", "build", "stats"] {
        let (code, out, _) = nasc(&[sub, "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Usage"), "{sub}");
    }
}

/// `nasc sample`: concrete specs and a summary; the same seed gives the same files; a budget
/// nothing meets is E043 (exit 1) and writes nothing; a non-empty output is refused (exit 2);
/// `--set` outside a domain is a usage error.
#[test]
fn sample_writes_specs_and_summaries() {
    let dir = std::env::temp_dir().join(format!("nasc-cli-sample-{}", std::process::id()));
    let d = dir.to_string_lossy().to_string();
    let run = |seed: &str, out: &str, extra: &[&str]| {
        let mut a = vec![
            "sample",
            "specs/regnet.nas",
            "-n",
            "3",
            "--flops",
            "300M..500M",
            "--seed",
            seed,
            "-o",
            out,
        ];
        a.extend_from_slice(extra);
        nasc(&a)
    };
    let (code, _, err) = run("5", &format!("{d}/a"), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("3 of ") && err.contains("outside the budget"), "{err}");
    let csv = std::fs::read_to_string(dir.join("a/samples.csv")).unwrap();
    assert!(csv.starts_with("name,file,params,flops,activations,depth,w0,wa,wm,group_width,bottleneck,se,rounding,accuracy,error,train_seconds\n"), "{csv}");
    assert_eq!(csv.lines().count(), 4);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("a/samples.json")).unwrap())
            .unwrap();
    assert_eq!(json["samples"].as_array().unwrap().len(), 3);
    // Each concrete spec compiles on its own to the recorded FLOPs.
    for s in json["samples"].as_array().unwrap() {
        let f = dir.join("a").join(s["file"].as_str().unwrap());
        let (code, out, err) = nasc(&["stats", f.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let st: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(st["flops"], s["flops"]);
    }
    assert_eq!(run("5", &format!("{d}/b"), &[]).0, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("b/samples.csv")).unwrap(),
        csv,
        "same seed, same samples"
    );
    assert_eq!(run("5", &format!("{d}/a"), &[]).0, 2, "a non-empty output directory is refused");
    assert_eq!(run("5", &format!("{d}/a"), &["--force"]).0, 0);
    let (code, _, err) = nasc(&[
        "sample",
        "specs/regnet.nas",
        "-n",
        "2",
        "--flops",
        "1..10",
        "--max-draws",
        "20",
        "-o",
        &format!("{d}/c"),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("E043") && err.contains("after 20 draws"), "{err}");
    assert!(!dir.join("c").exists(), "nothing written for an unmet budget");
    assert_eq!(
        nasc(&[
            "sample",
            "specs/regnet.nas",
            "-n",
            "2",
            "--set",
            "rounding=even",
            "-o",
            &format!("{d}/e")
        ])
        .0,
        2
    );
    assert_eq!(
        nasc(&["sample", "specs/regnetx_400mf.nas", "-n", "2", "-o", &format!("{d}/f")]).0,
        1,
        "no domains, no space"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn edf_reads_summaries_and_plots() {
    let dir = std::env::temp_dir().join(format!("nasc-cli-edf-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("s")).unwrap();
    std::fs::write(dir.join("s/samples.csv"), "name,file,params,flops,activations,accuracy,error,train_seconds\na,a.nas,1,1,1,0.9,10.0,1\nb,b.nas,1,1,1,0.8,20.0,1\n").unwrap();
    let svg = dir.join("edf.svg");
    let (code, out, err) = nasc(&[
        "edf",
        dir.join("s/samples.csv").to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "set,error,fraction\ns,10,0.500000\ns,20,1.000000\n");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    assert_eq!(nasc(&["edf", "does/not/exist.csv"]).0, 2);
    std::fs::remove_dir_all(&dir).ok();
}

/// A one-epoch `nasc train` on synthetic data into `run`.
fn train_synthetic(
    spec: &str,
    run: &std::path::Path,
    train: u32,
    test: u32,
    batch: u32,
) -> (i32, String, String) {
    let (train, test, batch) = (train.to_string(), test.to_string(), batch.to_string());
    let out = run.to_str().unwrap();
    nasc(&[
        "train",
        spec,
        "--data",
        "synthetic",
        "--epochs",
        "1",
        "--limit-train",
        &train,
        "--limit-test",
        &test,
        "--batch-size",
        &batch,
        "--quiet",
        "--out",
        out,
    ])
}

/// The inference export: `-O2 build --emit burn --weights` converts a record of the trained
/// (-O1) model for the -O2 code (batch norms folded, ReLUs fused); a record of another
/// network is refused with nothing written. (tests/burn-codegen checks the outputs match.)
#[test]
fn inference_export_converts_a_trained_record() {
    let dir = std::env::temp_dir().join(format!("nasc-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = dir.join("run");
    let (code, _, err) = train_synthetic("examples/regnetx_fmnist.nas", &run, 32, 16, 16);
    assert_eq!(code, 0, "{err}");
    let weights = run.join("model.bpk");
    let export = |spec: &str, out: &std::path::Path| {
        let (out, weights) = (out.to_str().unwrap(), weights.to_str().unwrap());
        nasc(&["-O2", "build", spec, "--emit", "burn", "-o", out, "--weights", weights])
    };
    let krate = dir.join("crate");
    let (code, _, err) = export("examples/regnetx_fmnist.nas", &krate);
    assert_eq!(code, 0, "{err}");
    let src = std::fs::read_to_string(krate.join("src/model.rs")).unwrap();
    assert!(
        src.contains("relu(conv2d(&self.") && !src.contains("BatchNorm"),
        "-O2 code: fused convs, no batch norms"
    );
    assert!(krate.join("model.bpk").is_file());
    // A directory holding a generated crate is not replaced without --force.
    let again = |force: bool| {
        let mut args = vec!["build", "examples/plain_cnn.nas", "--emit", "burn", "-o"];
        args.push(krate.to_str().unwrap());
        if force {
            args.push("--force");
        }
        nasc(&args)
    };
    let before = std::fs::read_to_string(krate.join("src/model.rs")).unwrap();
    let (code, _, err) = again(false);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already holds a generated crate") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(krate.join("src/model.rs")).unwrap(), before);
    let (code, _, err) = again(true);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(krate.join("src/model.rs")).unwrap().contains("PlainCnn"));
    let other = dir.join("other");
    let (code, _, err) = export("examples/plain_cnn.nas", &other);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E045") && err.contains("needs"), "{err}");
    assert!(!other.join("model.bpk").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn freeze_writes_a_spec_and_record_that_check_build_and_match() {
    let dir = std::env::temp_dir().join(format!("nasc-cli-freeze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = dir.join("run");
    let (code, _, err) = train_synthetic("specs/dnw_fmnist.nas", &run, 64, 32, 32);
    assert_eq!(code, 0, "{err}");
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert!(
        metrics.starts_with("epoch,") && metrics.lines().next().unwrap().ends_with(",edge_swaps"),
        "{metrics}"
    );
    let out = dir.join("frozen.nas");
    let (code, _, err) = nasc(&[
        "freeze",
        "specs/dnw_fmnist.nas",
        "--weights",
        run.join("model.bpk").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("froze 2 wirings (24 + 24 edges)"), "{err}");
    // The CLI compares the two models on random inputs and prints the difference.
    let diff: f64 = err.rsplit("max |difference| ").next().unwrap().trim().parse().unwrap();
    assert!(diff < 1e-4, "{err}");
    let (code, _, err) = nasc(&["check", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(dir.join("frozen.bpk").exists());
    let gen_dir = dir.join("gen");
    let (code, _, err) = nasc(&[
        "build",
        out.to_str().unwrap(),
        "--emit",
        "burn",
        "-o",
        gen_dir.to_str().unwrap(),
        "--weights",
        dir.join("frozen.bpk").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    freezing_bad_records_is_refused(&dir, &run);
    std::fs::remove_dir_all(&dir).ok();
}

/// Bad input to `nasc freeze`: another network's record, a truncated record: E045, exit 1,
/// nothing written.
fn freezing_bad_records_is_refused(dir: &std::path::Path, run: &std::path::Path) {
    let bad = dir.join("bad.nas");
    let (code, _, err) = nasc(&[
        "freeze",
        "specs/dnw_fmnist.nas",
        "--set",
        "C=8",
        "--weights",
        run.join("model.bpk").to_str().unwrap(),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E045") && err.contains("another spec"), "{err}");
    let bytes = std::fs::read(run.join("model.bpk")).unwrap();
    std::fs::write(dir.join("cut.bpk"), &bytes[..bytes.len() / 3]).unwrap();
    let (code, _, err) = nasc(&[
        "freeze",
        "specs/dnw_fmnist.nas",
        "--weights",
        dir.join("cut.bpk").to_str().unwrap(),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E045"), "{err}");
    let (code, _, err) = nasc(&[
        "freeze",
        "specs/randwire_ws_fmnist.nas",
        "--weights",
        run.join("model.bpk").to_str().unwrap(),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!bad.exists() && !dir.join("bad.bpk").exists());
}

#[test]
fn optimisation_flags() {
    // -O2 folds batch norms: fewer nodes than -O1, which has fewer than -O0 (identities).
    let nodes = |args: &[&str]| -> usize {
        let (code, out, err) =
            nasc(&[args, &["build", "specs/darts_v2_cifar.nas", "--emit", "json"]].concat());
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["nodes"].as_array().unwrap().len()
    };
    let (o0, o1, o2) = (nodes(&["-O0"]), nodes(&[]), nodes(&["--opt-level", "2"]));
    assert!(o0 > o1 && o1 > o2, "{o0} {o1} {o2}");
    assert_eq!(nodes(&["--passes", "identity"]), o1, "dce finds nothing to remove in this spec");
    // The report: one row per pass, with nodes before -> after.
    let (code, _, err) =
        nasc(&["-O2", "build", "specs/darts_v2_cifar.nas", "--opt-report", "-o", "/dev/null"]);
    assert_eq!(code, 0);
    for pass in
        ["dce", "identity", "single_input", "cse", "dropout", "agg_fold", "bn_fold", "conv_relu"]
    {
        assert!(
            err.lines().any(|l| l.starts_with(pass) && l.contains("->")),
            "{pass} missing from:\n{err}"
        );
    }
    // Writing to a device writes into it (never renames a file over /dev/null).
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/null").unwrap().file_type().is_char_device(),
        "/dev/null was replaced by a file"
    );
    // --dump-after stops the pipeline there: identities are gone, batch norms still there.
    let (code, out, _) =
        nasc(&["-O2", "build", "specs/darts_v2_cifar.nas", "--dump-after", "identity"]);
    assert_eq!(code, 0);
    assert!(!out.contains("= identity(") && out.contains("= batch_norm("));
    // Usage errors: a pass that is not run, an unknown pass, inference-only passes in training,
    // a level out of range, code generation from anything but -O1 or -O2.
    assert_eq!(nasc(&["-O1", "build", "specs/darts_v2_cifar.nas", "--dump-after", "bn_fold"]).0, 2);
    assert_eq!(nasc(&["--passes", "cse,nope", "check", "specs/darts_v2_cifar.nas"]).0, 2);
    let (code, _, err) =
        nasc(&["-O2", "train", "examples/plain_cnn.nas", "--data", "synthetic", "--epochs", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("inference-only"), "{err}");
    assert_eq!(nasc(&["-O3", "check", "specs/darts_v2_cifar.nas"]).0, 2);
    assert_eq!(
        nasc(&[
            "--passes",
            "dce,cse",
            "build",
            "examples/plain_cnn.nas",
            "--emit",
            "burn",
            "-o",
            "/tmp/nasc-never-written"
        ])
        .0,
        2
    );
    assert!(!std::path::Path::new("/tmp/nasc-never-written").exists());
    // `nasc passes` lists every pass with its level.
    let (code, out, _) = nasc(&["passes"]);
    assert_eq!(code, 0);
    for p in nasc_core::passes::PASSES {
        assert!(
            out.lines().any(|l| l.starts_with(p.name) && l.contains(&format!("-O{}", p.level))),
            "{}",
            p.name
        );
    }
}

/// `nasc bench`: -O0 next to -O1 (training) and -O2 (inference), phases on stderr.
#[test]
fn bench_reports_levels_side_by_side() {
    let (code, out, err) = nasc(&[
        "bench",
        "examples/plain_cnn.nas",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let levels = v["levels"].as_array().unwrap();
    let level = |n: u64| levels.iter().find(|l| l["opt_level"] == n).unwrap();
    assert!(
        level(0)["train_images_per_sec"].as_f64().unwrap() > 0.0
            && level(0)["infer_batch_ms"].as_f64().is_some()
    );
    assert!(
        level(1)["train_images_per_sec"].as_f64().is_some() && level(1)["infer_batch_ms"].is_null()
    );
    assert!(
        level(2)["infer_single_ms"].as_f64().is_some()
            && level(2)["train_images_per_sec"].is_null()
    );
    assert!(level(2)["nodes"].as_u64() < level(0)["nodes"].as_u64(), "-O2 folds the batch norms");
    for phase in [
        "bench: device flex",
        "-O0 training warm-up",
        "-O1 training, 1 timed steps",
        "-O2 inference",
    ] {
        assert!(err.contains(phase), "{phase} missing from:\n{err}");
    }
    let (code, out, _) = nasc(&[
        "bench",
        "examples/plain_cnn.nas",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--infer-only",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["train_images_per_sec"].is_null()
            && v["levels"].as_array().unwrap().iter().all(|l| l["train_images_per_sec"].is_null()),
        "{out}"
    );
}

#[test]
fn a_backend_this_build_lacks_is_an_error_with_exit_1() {
    // The default build has flex only (`cuda` and `wgpu` are cargo features): training and
    // benchmarking on a backend that cannot run here is a failed job, not a bad command line.
    for cmd in [
        &["bench", "examples/plain_cnn.nas", "--backend", "cuda", "--steps", "1"][..],
        &["train", "examples/plain_cnn.nas", "--backend", "cuda", "--out", "/nonexistent/x"][..],
    ] {
        let (code, _, err) = nasc(cmd);
        assert_eq!(code, 1, "{cmd:?}: {err}");
        assert!(err.contains("built without the `cuda` backend"), "{cmd:?}: {err}");
    }
}

/// `nasc space`: the count and the sample's spread as a table and as JSON; a spec without a
/// domain is E041 (exit 1); `--preset` is refused (exit 2).
#[test]
fn space_counts_a_design_space() {
    let spec = nasc_test_support::root().join("specs/nas_bench_201.nas");
    let spec = spec.to_str().unwrap();
    let (code, out, err) = nasc(&["space", spec, "-n", "12"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("members: 15,625 (parameter assignments, exact)"), "{out}");
    assert!(out.contains("sample: 12 draws (seed 0), 12 distinct, 12 valid"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("params") && l.split_whitespace().count() == 4));
    let (code, json, _) = nasc(&["space", spec, "-n", "12", "--seed", "5", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["size"]["exact"], 15625);
    assert_eq!(v["seed"], 5);
    assert!(
        v["flops_spread"]["min"].as_u64().unwrap() <= v["flops_spread"]["max"].as_u64().unwrap()
    );
    let plain = nasc_test_support::root().join("specs/randwire_ws.nas");
    let (code, _, err) = nasc(&["space", plain.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("E041"), "{err}");
    let (code, _, _) = nasc(&["space", spec, "--preset", "x"]);
    assert_eq!(code, 2);
}
