//! The architecture's invariants that a test can hold (ARCHITECTURE.md): nasc-core's rooms
//! import only rooms below them, so the IR stays at the bottom and no module imports
//! upward; nasc-core links no Burn and no database, and neither do nasc-search, nasc-lsp
//! and nasc-export (only nasc-burn and the program link Burn).

use nasc_test_support::root;
use std::path::Path;

/// nasc-core's rooms from the bottom up: a room may use rooms of a lower rank only.
const RANKS: &[(&str, u32)] = &[
    ("span", 0),
    ("limits", 0),
    ("fsutil", 0),
    ("fmt", 0),
    ("weights", 0),
    ("diag", 1),
    ("ir", 2),
    ("syntax", 2),
    ("check", 3),
    ("passes", 3),
    ("stats", 3),
    ("emit", 3),
    ("expand", 4),
    ("driver", 5),
    ("space", 6),
];

fn rank(room: &str) -> Option<u32> {
    RANKS.iter().find(|(r, _)| *r == room).map(|(_, k)| *k)
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The rooms a source file names as `crate::ROOM`.
fn uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let name: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        // `$crate::` in macros and `crate::each_op!` are not rooms.
        if text[..i].ends_with('$') || rest[name.len()..].starts_with('!') {
            continue;
        }
        out.push(name);
    }
    out
}

#[test]
fn core_rooms_import_only_rooms_below_them() {
    let src = root().join("crates/nasc-core/src");
    let mut problems = Vec::new();
    for file in sources(&src) {
        let rel = file.strip_prefix(&src).unwrap();
        let room = rel.iter().next().unwrap().to_string_lossy().trim_end_matches(".rs").to_string();
        if room == "lib" {
            continue;
        }
        let Some(own) = rank(&room) else {
            problems.push(format!("{}: room `{room}` has no rank in this test", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in uses(&text) {
            if used == room {
                continue;
            }
            match rank(&used) {
                Some(r) if r < own => {}
                Some(_) => problems.push(format!(
                    "{}: `{room}` uses `{used}`, which is not below it",
                    rel.display()
                )),
                None if used == "compile" => problems
                    .push(format!("{}: uses the driver through the crate root", rel.display())),
                None => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The dependency names of a crate's manifest (the `[dependencies]` table only).
fn dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(format!("crates/{krate}/Cargo.toml"))).unwrap();
    let mut deps = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            deps.push(line.split(['=', '.', ' ']).next().unwrap_or_default().to_string());
        }
    }
    deps
}

#[test]
fn only_the_back_end_and_the_program_link_burn_and_only_search_links_databases() {
    for krate in ["nasc-core", "nasc-search", "nasc-lsp", "nasc-export"] {
        let deps = dependencies(krate);
        assert!(deps.iter().any(|d| d == "nasc-core" || krate == "nasc-core"), "{krate}: {deps:?}");
        for banned in ["burn", "burn-pack", "nasc-burn", "wgpu"] {
            assert!(!deps.iter().any(|d| d == banned), "{krate} depends on {banned}");
        }
    }
    for krate in ["nasc-core", "nasc-lsp", "nasc-burn", "nasc-export"] {
        let deps = dependencies(krate);
        for banned in ["rusqlite", "postgres", "nasc-search"] {
            assert!(!deps.iter().any(|d| d == banned), "{krate} depends on {banned}");
        }
    }
}
