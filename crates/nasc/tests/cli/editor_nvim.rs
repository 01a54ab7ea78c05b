//! A real editor against `nasc lsp`: headless Neovim (Debian's `neovim`, which .ci/run
//! installs) with its built-in LSP client receives the diagnostics of a broken spec, a hover,
//! and the cleared diagnostics after the buffer is fixed (crates/nasc/tests/cli/nvim_e2e.lua).

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn neovim_receives_diagnostics_and_hover() {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must install neovim (.ci/run does)");
        eprintln!("skipped: apt-get install neovim to run this test");
        return;
    }
    let root = nasc_test_support::root();
    let dir = std::env::temp_dir().join(format!("nasc-nvim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("broken.nas");
    std::fs::write(&spec, "network n(C: int = 8) {\n    input [1, 28, 28]\n    classes 10\n    stage s = conv(3x3, C) -> bnn -> relu\n    stage head = global_avg_pool -> linear(classes)\n}\n").unwrap();
    let out = dir.join("result.txt");
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", root.join("crates/nasc/tests/cli/nvim_e2e.lua").display()))
        .env("NASC_BIN", env!("CARGO_BIN_EXE_nasc"))
        .env("NASC_FILE", &spec)
        .env("NASC_OUT", &out)
        .env("HOME", &dir)
        .env("XDG_STATE_HOME", &dir)
        .env("XDG_DATA_HOME", &dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(90) {
            child.kill().ok();
            panic!("nvim did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let result = std::fs::read_to_string(&out).expect("the script writes its result");
    let lines: Vec<&str> = result.lines().collect();
    assert_eq!(lines.first().copied(), Some("diagnostic E002 3:30-3:33 severity=1"), "{result}");
    assert!(lines.iter().any(|l| l.starts_with("hover **parameter** `C: int = 8`")), "{result}");
    assert_eq!(lines.last().copied(), Some("cleared"), "{result}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The VS Code extension's manifest, grammar and language configuration are valid JSON and
/// point at each other; the grammar knows every built-in op.
#[test]
fn the_vscode_extension_is_consistent() {
    let root = nasc_test_support::root().join("editors/vscode");
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(p)).unwrap())
            .unwrap_or_else(|e| panic!("{p}: {e}"))
    };
    let pkg = read("package.json");
    let grammar_path = pkg["contributes"]["grammars"][0]["path"].as_str().unwrap();
    let grammar = read(grammar_path);
    assert_eq!(grammar["scopeName"], pkg["contributes"]["grammars"][0]["scopeName"]);
    read(pkg["contributes"]["languages"][0]["configuration"].as_str().unwrap());
    assert!(root.join(pkg["main"].as_str().unwrap()).is_file());
    let text = std::fs::read_to_string(root.join(grammar_path)).unwrap();
    for (name, _, _) in nasc_core::check::signatures() {
        assert!(
            text.contains(&format!("|{name}|"))
                || text.contains(&format!("({name}|"))
                || text.contains(&format!("|{name})")),
            "the grammar does not highlight `{name}`"
        );
    }
}
