//! Architecture search with real processes and real stores (SQLite; PostgreSQL when
//! NASC_TEST_POSTGRES=postgres://USER@HOST:PORT names a server, as `.ci/run` does): the controller and its
//! workers finish the budget with every genotype evaluated once; a worker killed with
//! SIGKILL mid-evaluation loses only that evaluation (its lease expires, another worker does
//! the job, which counts once); a controller killed and restarted continues without
//! duplicates; foreign, missing and unsupported stores are refused with clear exit codes; a
//! failed training run is recorded and the worker goes on.

use nasc_search::store::Store;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_nasc")
}

pub(crate) fn nasc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(exe())
        .args(args)
        .current_dir(nasc_test_support::root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run nasc");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn spawn(args: &[&str]) -> Child {
    Command::new(exe())
        .args(args)
        .current_dir(nasc_test_support::root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nasc")
}

pub(crate) fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nasc-search-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub(crate) fn url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("s.db").display())
}

/// A fresh PostgreSQL database for one test, or `None` (with a note) when no server is
/// configured; under CI a missing server is a failure, so these tests cannot silently pass.
pub(crate) fn pg(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("NASC_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL tests: set NASC_TEST_POSTGRES (.ci/run starts a server)"
        );
        eprintln!("note: NASC_TEST_POSTGRES is not set; skipping the PostgreSQL run of {name}");
        return None;
    };
    let base = base.trim_end_matches('/').to_string();
    let db = format!("nasc_{name}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls)
        .expect("connect to NASC_TEST_POSTGRES");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    Some(format!("{base}/{db}"))
}

/// Polls `f` every 50 ms for up to `secs` seconds.
pub(crate) fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

pub(crate) fn wait_exit(c: &mut Child, secs: u64) -> i32 {
    let mut code = None;
    assert!(
        wait_for(secs, || {
            code = c.try_wait().unwrap().map(|s| s.code().unwrap_or(-1));
            code.is_some()
        }),
        "process did not finish in {secs} s"
    );
    code.unwrap_or(-1)
}

/// Every genotype in the store at most once, and the number of jobs in each state.
pub(crate) fn audit(url: &str) -> (usize, usize, Vec<nasc_search::store::Job>) {
    let jobs = Store::open(url).unwrap().jobs().unwrap();
    let keys: HashSet<String> = jobs.iter().map(|j| nasc_search::key(&j.genotype)).collect();
    assert_eq!(keys.len(), jobs.len(), "a genotype was queued twice");
    let done = jobs.iter().filter(|j| j.state == "done").count();
    let failed = jobs.iter().filter(|j| j.state == "failed").count();
    (done, failed, jobs)
}

#[test]
fn search_with_local_workers_finishes_the_budget_once() {
    let dir = tmp("local");
    let urls = [url(&dir), format!("sqlite:{}", dir.join("r.db").display())];
    local_workers(&urls, &dir);
}

#[test]
fn search_with_local_workers_finishes_the_budget_once_postgres() {
    if let (Some(a), Some(b)) = (pg("local_e"), pg("local_r")) {
        local_workers(&[a, b], &tmp("local-pg"));
    }
}

/// Evolution into the first store, random search into the second.
fn local_workers(urls: &[String; 2], dir: &Path) {
    let best = dir.join("best.nas");
    for (strategy, u) in ["random", "evolution"].into_iter().zip(urls.iter().rev()) {
        let (code, _, err) = nasc(&[
            "search",
            "specs/regnet.nas",
            "--store",
            u,
            "--strategy",
            strategy,
            "--fitness",
            "synthetic",
            "--evaluations",
            "30",
            "--population",
            "8",
            "--workers",
            "3",
            "-o",
            best.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let (done, failed, jobs) = audit(u);
        assert_eq!((done, failed, jobs.len()), (30, 0, 30));
        // Evolution mutates: after the 8 random genotypes, children name their parents.
        assert_eq!(jobs.iter().any(|j| j.parent.is_some()), strategy == "evolution");
    }
    // The best genotype (of the evolution, run last) as a concrete spec that compiles; status
    // agrees with the store.
    let u = &urls[0];
    let (code, _, err) = nasc(&["check", best.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = nasc(&["search", "status", "--store", u, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["counts"]["done"], 30);
    assert!(v["best"]["fitness"].as_f64().unwrap() > 0.0);
    let (code, _, err) =
        nasc(&["search", "plot", "--store", u, "-o", dir.join("s.svg").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(dir.join("s.svg")).unwrap().contains("<svg"));
    // The winner exported: a PyTorch module and an ONNX model (seeded weights).
    let py = dir.join("best.py");
    let (code, _, err) =
        nasc(&["search", "best", "--store", u, "--emit", "pytorch", "-o", py.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&py).unwrap().contains("class Net(nn.Module):"));
    let onnx = dir.join("best.onnx");
    let (code, _, err) =
        nasc(&["search", "best", "--store", u, "--emit", "onnx", "-o", onnx.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::metadata(&onnx).unwrap().len() > 1000);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_killed_worker_loses_only_its_evaluation() {
    let dir = tmp("kill");
    killed_worker(&url(&dir));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_killed_worker_loses_only_its_evaluation_postgres() {
    if let Some(u) = pg("kill") {
        killed_worker(&u);
    }
}

fn killed_worker(u: &str) {
    let u = u.to_string();
    // The controller alone; evaluations take 1.5 s; leases last 1 s without heartbeats.
    let mut controller = spawn(&[
        "search",
        "specs/regnet.nas",
        "--store",
        &u,
        "--fitness",
        "synthetic",
        "--synthetic-ms",
        "1500",
        "--evaluations",
        "4",
        "--workers",
        "0",
        "--lease",
        "1",
        "--quiet",
    ]);
    assert!(
        wait_for(20, || Store::open(&u).and_then(|s| s.counts()).is_ok_and(|c| c.queued > 0)),
        "the controller queued nothing"
    );
    let mut a = spawn(&["worker", "--store", &u, "--lease", "1", "--name", "A", "--quiet"]);
    let running_on_a = || {
        Store::open(&u).and_then(|s| s.jobs()).is_ok_and(|j| {
            j.iter().any(|j| j.state == "running" && j.worker.as_deref() == Some("A"))
        })
    };
    assert!(wait_for(20, running_on_a), "worker A claimed nothing");
    std::thread::sleep(Duration::from_millis(300));
    a.kill().unwrap(); // SIGKILL, mid-evaluation
    let _ = a.wait();
    let killed = Store::open(&u)
        .unwrap()
        .jobs()
        .unwrap()
        .into_iter()
        .find(|j| j.state == "running" && j.worker.as_deref() == Some("A"))
        .expect("A's job is still marked running")
        .id;
    let mut b = spawn(&["worker", "--store", &u, "--lease", "1", "--name", "B", "--quiet"]);
    assert_eq!(wait_exit(&mut controller, 60), 0);
    assert_eq!(wait_exit(&mut b, 30), 0, "worker B stops when the search ends");
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed, jobs.len()), (4, 0, 4), "every evaluation done exactly once");
    let j = jobs.iter().find(|j| j.id == killed).unwrap();
    assert_eq!(
        (j.state.as_str(), j.worker.as_deref(), j.attempt),
        ("done", Some("B"), 2),
        "the killed job was re-queued and done by B"
    );
}

#[test]
fn a_restarted_controller_continues_without_duplicates() {
    let dir = tmp("restart");
    restarted_controller(&url(&dir));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_restarted_controller_continues_without_duplicates_postgres() {
    if let Some(u) = pg("restart") {
        restarted_controller(&u);
    }
}

fn restarted_controller(u: &str) {
    let u = u.to_string();
    let args = [
        "search",
        "specs/regnet.nas",
        "--store",
        u.as_str(),
        "--fitness",
        "synthetic",
        "--synthetic-ms",
        "150",
        "--evaluations",
        "16",
        "--population",
        "4",
        "--workers",
        "1",
        "--lease",
        "2",
        "--quiet",
    ];
    let mut first = spawn(&args);
    assert!(
        wait_for(30, || Store::open(&u).and_then(|s| s.counts()).is_ok_and(|c| c.done >= 3)),
        "no progress"
    );
    first.kill().unwrap(); // the controller dies; its worker is orphaned and carries on
    let _ = first.wait();
    let (code, _, err) = nasc(&args);
    assert_eq!(code, 0, "{err}");
    let (done, failed, jobs) = audit(&u);
    assert_eq!(
        (done, failed, jobs.len()),
        (16, 0, 16),
        "exactly the budget, nothing lost or repeated"
    );
    // The same store with other settings is another search: refused, nothing changed.
    let mut other: Vec<&str> = args.to_vec();
    other[9] = "20";
    let (code, _, err) = nasc(&other);
    assert_eq!(code, 1);
    assert!(err.contains("holds another search"), "{err}");
    assert_eq!(audit(&u).2.len(), 16);
}

#[test]
fn foreign_missing_and_unsupported_stores_are_refused() {
    let dir = tmp("foreign");
    // No store there: a clear error, exit 1; a URL nasc cannot use: a usage error, exit 2.
    let (code, _, err) = nasc(&["search", "status", "--store", &url(&dir)]);
    assert_eq!(code, 1);
    assert!(err.contains("no search store"), "{err}");
    let (code, _, err) = nasc(&["worker", "--store", "mysql://x"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a store URL"), "{err}");
    // A data set no worker could load is a usage error before anything is queued.
    let (code, _, err) =
        nasc(&["search", "specs/regnet.nas", "--store", &url(&dir), "--data", "fmnist"]);
    assert_eq!(code, 2);
    assert!(err.contains("`fmnist` is not a data set"), "{err}");
    assert!(!dir.join("s.db").exists(), "no store created");
    // A back end this build lacks (the CLI tests run without GPU features) is said before
    // anything is created or spawned.
    if !cfg!(feature = "cuda") {
        let (code, _, err) =
            nasc(&["search", "specs/regnet.nas", "--store", &url(&dir), "--backend", "cuda"]);
        assert_eq!(code, 2);
        assert!(err.contains("--backend cuda: this nasc was built without"), "{err}");
        assert!(!dir.join("s.db").exists(), "no store created");
    }
    // A store of another schema version.
    let conn = rusqlite::Connection::open(dir.join("s.db")).unwrap();
    conn.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '99');").unwrap();
    drop(conn);
    let (code, _, err) = nasc(&["search", "status", "--store", &url(&dir)]);
    assert_eq!(code, 1);
    assert!(err.contains("schema version 99"), "{err}");
    let (code, _, err) = nasc(&[
        "search",
        "specs/regnet.nas",
        "--store",
        &url(&dir),
        "--fitness",
        "synthetic",
        "--evaluations",
        "2",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("schema version 99"), "{err}");
    // Not a store at all.
    std::fs::write(dir.join("junk.db"), "not a database").unwrap();
    let (code, _, _) = nasc(&[
        "search",
        "status",
        "--store",
        &format!("sqlite:{}", dir.join("junk.db").display()),
    ]);
    assert_eq!(code, 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn foreign_and_unreachable_postgres_stores_are_refused() {
    // Nothing listens on port 1: a clear error and exit 1 within the connect timeout.
    let (code, _, err) =
        nasc(&["search", "status", "--store", "postgres://nasc:secret@127.0.0.1:1/nasc"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot reach the PostgreSQL store") && !err.contains("secret"), "{err}");
    let Some(u) = pg("foreign") else { return };
    // An empty database is not a store; one of another schema version is refused.
    let (code, _, err) = nasc(&["search", "status", "--store", &u]);
    assert_eq!(code, 1);
    assert!(err.contains("not a nasc search store"), "{err}");
    let mut c = postgres::Client::connect(&u, postgres::NoTls).unwrap();
    c.batch_execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '99');").unwrap();
    let (code, _, err) = nasc(&["worker", "--store", &u]);
    assert_eq!(code, 1);
    assert!(err.contains("schema version 99"), "{err}");
}

#[test]
fn failed_training_is_recorded_and_the_worker_moves_on() {
    let dir = tmp("fail");
    failed_training(&url(&dir));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn failed_training_is_recorded_and_the_worker_moves_on_postgres() {
    if let Some(u) = pg("fail") {
        failed_training(&u);
    }
}

fn failed_training(u: &str) {
    let u = u.to_string();
    // MNIST without --data-dir cannot be loaded: every evaluation fails, and says why.
    let (code, _, err) = nasc(&[
        "search",
        "specs/regnet.nas",
        "--store",
        &u,
        "--fitness",
        "train",
        "--data",
        "mnist",
        "--evaluations",
        "3",
        "--workers",
        "1",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no evaluation succeeded"), "{err}");
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed), (0, 3));
    // Each failure says why (no MNIST files; for the largest genotypes, not enough memory).
    assert!(
        jobs.iter().all(|j| j
            .error
            .as_deref()
            .is_some_and(|e| e.contains("MNIST") || e.contains("memory"))),
        "{jobs:?}"
    );
    assert!(jobs.iter().any(|j| j.error.as_deref().is_some_and(|e| e.contains("MNIST"))));
    let (code, out, _) = nasc(&["search", "status", "--store", &u]);
    assert_eq!(code, 0);
    assert!(out.contains("failed 3") && out.contains("failed: job"), "{out}");
}

#[test]
fn training_fitness_uses_a_hold_out_of_the_training_set() {
    let dir = tmp("train");
    let u = url(&dir);
    // Two tiny evaluations of real training on synthetic data (a hold-out of 32 images).
    let (code, _, err) = nasc(&[
        "search",
        "examples/anynetx_a_fmnist.nas",
        "--store",
        &u,
        "--fitness",
        "train",
        "--data",
        "synthetic",
        "--limit-train",
        "64",
        "--holdout",
        "32",
        "--batch-size",
        "32",
        "--evaluations",
        "2",
        "--workers",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    let (done, _, jobs) = audit(&u);
    assert_eq!(done, 2);
    assert!(jobs.iter().all(|j| j.fitness.is_some_and(|f| (0.0..=1.0).contains(&f))));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn mutation_changes_one_open_parameter() {
    let src = std::fs::read_to_string(nasc_test_support::root().join("specs/regnet.nas")).unwrap();
    let cfg: nasc_search::SearchConfig = serde_json::from_value(serde_json::json!({
        "strategy": "evolution", "population": 4, "tournament": 0.05, "evaluations": 8, "seed": 1, "max_params": null, "max_flops": null,
        "fitness": "synthetic", "fixed": [], "network": null,
        "train": {"data": "synthetic", "data_dir": null, "epochs": 1, "batch_size": 8, "limit_train": null, "holdout": 8, "synthetic_ms": 0}
    }))
    .unwrap();
    let space = nasc_search::space(&src, &cfg).unwrap();
    let mut rng = nasc_search::rng_for(1, 0);
    for _ in 0..200 {
        let parent = nasc_search::sample(&space, &mut rng);
        let child = nasc_search::mutate(&space, &parent, &mut rng);
        let changed = parent.iter().zip(&child).filter(|(a, b)| a != b).count();
        assert!(changed <= 1, "{parent:?} -> {child:?}");
        assert_eq!(parent.len(), child.len());
    }
    // Same seed and proposal number, same proposal.
    let a = nasc_search::sample(&space, &mut nasc_search::rng_for(7, 3));
    let b = nasc_search::sample(&space, &mut nasc_search::rng_for(7, 3));
    assert_eq!(a, b);
}
