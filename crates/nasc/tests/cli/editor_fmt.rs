//! `nasc fmt`: every spec, example and diagnostic file formats idempotently, changes only
//! whitespace, and compiles to the same network (or the same diagnostics); every spec and
//! example in the repository is kept formatted; the CLI's `--check`, in-place and stdin modes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    nasc_test_support::root()
}

fn nas_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "nas"))
        .collect();
    v.sort();
    v
}

fn ir_text(src: &str) -> (Vec<String>, Option<Vec<String>>) {
    let c = nasc_core::compile(src, &Default::default()).unwrap();
    let codes = c.diags.iter().map(|d| format!("{} {}", d.code.as_str(), d.message)).collect();
    let ir = c.ir.map(|ir| {
        nasc_core::emit::text::emit(&ir, src)
            .lines()
            .map(|l| l.split(" @").next().unwrap_or(l).to_string())
            .collect()
    });
    (codes, ir)
}

#[test]
fn formatting_is_idempotent_and_changes_nothing_but_layout() {
    let mut n = 0;
    for dir in ["specs", "examples", "zoo", "tests/diagnostics", "std"] {
        for p in nas_files(dir) {
            let src = std::fs::read_to_string(&p).unwrap();
            if nasc_core::syntax::parse(&src).is_err() {
                continue; // syntax-error fixtures: fmt leaves them alone
            }
            let f = nasc_core::fmt::format(&src);
            assert_eq!(nasc_core::fmt::format(&f), f, "{}: not idempotent", p.display());
            assert_eq!(
                nasc_core::fmt::tokens(&f),
                nasc_core::fmt::tokens(&src),
                "{}: a token changed",
                p.display()
            );
            assert_eq!(ir_text(&f), ir_text(&src), "{}: the compiled result changed", p.display());
            n += 1;
        }
    }
    assert!(n > 90, "{n} files");
}

#[test]
fn the_repository_is_formatted() {
    for dir in ["specs", "examples", "zoo", "std"] {
        for p in nas_files(dir) {
            let src = std::fs::read_to_string(&p).unwrap();
            assert!(
                nasc_core::fmt::format(&src) == src,
                "{} is not formatted: run `nasc fmt {dir}`",
                p.display()
            );
        }
    }
}

fn nasc(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .args(args)
        .current_dir(nasc_test_support::root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(c.stdin.take());
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_cli_checks_rewrites_and_filters() {
    let dir = std::env::temp_dir().join(format!("nasc-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ugly = "network n(C:int=8){\ninput [1,28,28]\nclasses 10 // ten classes\nstage s=conv(3x3,C)->bn->relu\nstage h=global_avg_pool->linear(classes)\n}\n";
    let file = dir.join("a.nas");
    std::fs::write(&file, ugly).unwrap();
    let f = file.to_str().unwrap();
    let (code, out, _) = nasc(&["fmt", "--check", f], None);
    assert_eq!(code, 1);
    assert!(out.contains("not formatted (first difference at line 1)"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), ugly, "--check writes nothing");
    let (code, _, _) = nasc(&["fmt", dir.to_str().unwrap()], None);
    assert_eq!(code, 0);
    let pretty = std::fs::read_to_string(&file).unwrap();
    assert!(
        pretty.contains("    stage s = conv(3x3, C) -> bn -> relu\n")
            && pretty.contains("classes 10  // ten classes"),
        "{pretty}"
    );
    assert_eq!(nasc(&["fmt", "--check", f], None).0, 0);
    let (code, out, _) = nasc(&["fmt", "-"], Some(ugly));
    assert_eq!((code, out.as_str()), (0, pretty.as_str()));
    // A file that does not parse is reported and left alone.
    let broken = dir.join("b.nas");
    std::fs::write(&broken, "network n( {").unwrap();
    let (code, _, err) = nasc(&["fmt", broken.to_str().unwrap()], None);
    assert_eq!(code, 1);
    assert!(err.contains("E001"), "{err}");
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "network n( {");
    std::fs::remove_dir_all(Path::new(&dir)).ok();
}
