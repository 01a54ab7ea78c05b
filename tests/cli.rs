//! End-to-end tests of the `nasc` binary: exit codes, flags, output formats.

use std::process::Command;

fn nasc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run nasc");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn exit_codes() {
    assert_eq!(nasc(&["check", "specs/randwire_ws.nas"]).0, 0);
    assert_eq!(nasc(&["check", "tests/diagnostics/E017_rank.nas"]).0, 1);
    assert_eq!(nasc(&["check", "tests/diagnostics/W001_unused_def.nas"]).0, 0, "warnings alone succeed");
    assert_eq!(nasc(&["check", "does/not/exist.nas"]).0, 2);
    assert_eq!(nasc(&["frobnicate"]).0, 2);
    assert_eq!(nasc(&["build", "specs/randwire_ws.nas", "--emit", "nonsense"]).0, 2);
    assert_eq!(nasc(&["--help"]).0, 0);
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
    let p = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["params"].as_u64().unwrap();
    assert!(p(&wide) > 3 * p(&base));
    for spec in ["specs/randwire_ws.nas", "specs/randwire_er.nas", "specs/randwire_ba.nas", "specs/randwire_regular.nas", "specs/randwire_ws_fmnist.nas"] {
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
    let (code, _, err) = nasc(&["check", "tests/diagnostics/multi_errors.nas", "--message-format", "json"]);
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
    let (code, _, _) = nasc(&["build", "tests/diagnostics/E019_channels.nas", "--emit", "json", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(!out.exists());
    let (code, _, _) = nasc(&["build", "specs/randwire_ws_fmnist.nas", "--emit", "dot", "-o", out.to_str().unwrap()]);
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
