//! Multi-fidelity search with real processes and real stores: successive halving keeps the
//! best 1/reduction of each rung (27 -> 9 -> 3), ASHA promotes without waiting for a rung to
//! fill, Hyperband runs its brackets; a promoted job continues from its checkpoint (real
//! training); a worker killed mid-rung loses only that rung; a restarted controller continues
//! from the rung table. SQLite and PostgreSQL.

use super::search::{audit, exe, nasc, tmp, url, wait_for};
use nasc_search::store::{RungRow, Store};
use std::process::{Command, Stdio};
use std::time::Duration;

fn rows(u: &str) -> Vec<RungRow> {
    Store::open(u).unwrap().rung_rows().unwrap()
}

/// Results per (bracket, rung).
fn per_rung(rows: &[RungRow]) -> std::collections::BTreeMap<(usize, usize), usize> {
    let mut m = std::collections::BTreeMap::new();
    for r in rows {
        *m.entry((r.bracket, r.rung)).or_default() += 1;
    }
    m
}

/// The program in the background, silent, from the repository root, with `env` set.
fn spawn(args: &[&str], env: &[(&str, &std::path::Path)]) -> std::process::Child {
    Command::new(exe())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(nasc_test_support::root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A synthetic RL search over NAS-Bench-201 (`extra` appended).
fn rl_search<'a>(u: &'a str, evaluations: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "search",
        "specs/nas_bench_201.nas",
        "--store",
        u,
        "--fitness",
        "synthetic",
        "--synthetic-ms",
        "20",
        "--evaluations",
        evaluations,
        "--workers",
        "2",
        "--strategy",
        "rl",
        "--quiet",
    ];
    a.extend_from_slice(extra);
    a
}

fn synthetic<'a>(u: &'a str, scheduler: &'a str, n: &'a str, ms: &'a str) -> Vec<&'a str> {
    vec![
        "search",
        "specs/nas_bench_201.nas",
        "--store",
        u,
        "--fitness",
        "synthetic",
        "--synthetic-ms",
        ms,
        "--evaluations",
        n,
        "--workers",
        "3",
        "--scheduler",
        scheduler,
        "--min-epochs",
        "1",
        "--max-epochs",
        "9",
        "--reduction",
        "3",
        "--quiet",
    ]
}

#[test]
fn successive_halving_keeps_the_best_third_of_each_rung() {
    let dir = tmp("sh");
    successive_halving(&url(&dir), &dir);
}

#[test]
fn successive_halving_keeps_the_best_third_of_each_rung_postgres() {
    if let Some(u) = super::search::pg("sh") {
        successive_halving(&u, &tmp("sh-pg"));
    }
}

fn successive_halving(u: &str, dir: &std::path::Path) {
    let (code, _, err) = nasc(&synthetic(u, "successive-halving", "27", "5"));
    assert_eq!(code, 0, "{err}");
    let rs = rows(u);
    assert_eq!(
        per_rung(&rs).into_iter().collect::<Vec<_>>(),
        vec![((0, 0), 27), ((0, 1), 9), ((0, 2), 3)]
    );
    // Rung r + 1 holds exactly the best third of rung r, each continuing at rung r's epochs.
    for r in 0..2 {
        let mut at: Vec<&RungRow> = rs.iter().filter(|x| x.rung == r).collect();
        at.sort_by(|a, b| b.fitness.total_cmp(&a.fitness).then(a.job.cmp(&b.job)));
        let mut best: Vec<i64> = at.iter().take(at.len() / 3).map(|x| x.job).collect();
        let mut next: Vec<i64> = rs.iter().filter(|x| x.rung == r + 1).map(|x| x.job).collect();
        best.sort_unstable();
        next.sort_unstable();
        assert_eq!(best, next, "rung {}", r + 1);
        let epochs = [1, 3, 9][r];
        assert!(rs.iter().filter(|x| x.rung == r + 1).all(|x| x.resumed_from == epochs));
        // Synchronous: rung r + 1 started only after rung r was complete.
        let last = rs.iter().filter(|x| x.rung == r).map(|x| x.finished).fold(0.0, f64::max);
        let first =
            rs.iter().filter(|x| x.rung == r + 1).map(|x| x.finished).fold(f64::MAX, f64::min);
        assert!(first >= last);
    }
    let (done, failed, jobs) = audit(u);
    assert_eq!((done, failed, jobs.len()), (3, 0, 27));
    assert_eq!(jobs.iter().filter(|j| j.state == "paused").count(), 24);
    let (code, out, _) = nasc(&["search", "status", "--store", u]);
    assert_eq!(code, 0);
    assert!(out.contains("successive-halving (reduction 3), 24 stopped early: bracket 0: 27 at 1 epoch -> 9 at 3 epochs -> 3 at 9 epochs"), "{out}");
    // The best is a job trained to the top rung.
    let best = Store::open(u).unwrap().best().unwrap().unwrap();
    assert!(rs.iter().any(|x| x.job == best.id && x.rung == 2));
    let svg = dir.join("curves.svg");
    let (code, _, err) = nasc(&["search", "plot", "--store", u, "-o", svg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("learning curves by rung"));
}

#[test]
fn asha_promotes_without_waiting_for_a_rung_to_fill() {
    let dir = tmp("asha");
    let u = url(&dir);
    let (code, _, err) = nasc(&synthetic(&u, "asha", "27", "20"));
    assert_eq!(code, 0, "{err}");
    let rs = rows(&u);
    let m = per_rung(&rs);
    assert_eq!(m[&(0, 0)], 27);
    // At least floor(27 / 3) reach rung 1 (ASHA promotes at least as many as SH, often more).
    assert!(m[&(0, 1)] >= 9 && m[&(0, 2)] >= 3, "{m:?}");
    // Rung-1 results come in while rung 0 is still being trained.
    let last0 = rs.iter().filter(|x| x.rung == 0).map(|x| x.finished).fold(0.0, f64::max);
    let first1 = rs.iter().filter(|x| x.rung == 1).map(|x| x.finished).fold(f64::MAX, f64::min);
    assert!(first1 < last0, "ASHA waited for rung 0 to fill");
    let (_, failed, jobs) = audit(&u);
    assert_eq!((failed, jobs.len()), (0, 27));
}

#[test]
fn hyperband_runs_successive_halving_in_brackets() {
    let dir = tmp("hyperband");
    let u = url(&dir);
    let (code, _, err) = nasc(&synthetic(&u, "hyperband", "34", "2"));
    assert_eq!(code, 0, "{err}");
    // Brackets take turns 9 : 5 : 3 (the paper's n for S = 3 rungs): 18, 10 and 6 of 34.
    let m: Vec<((usize, usize), usize)> = per_rung(&rows(&u)).into_iter().collect();
    assert_eq!(
        m,
        vec![((0, 0), 18), ((0, 1), 6), ((0, 2), 2), ((1, 1), 10), ((1, 2), 3), ((2, 2), 6)]
    );
    assert_eq!(audit(&u).2.len(), 34);
}

/// Real training (synthetic data): a promoted job continues from the checkpoint its previous
/// rung left in the store, and the top rung keeps none.
#[test]
fn a_promoted_job_continues_from_its_checkpoint() {
    let dir = tmp("mf-train");
    let u = url(&dir);
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
        "--precise-bn",
        "0",
        "--evaluations",
        "6",
        "--workers",
        "2",
        "--scheduler",
        "successive-halving",
        "--min-epochs",
        "1",
        "--max-epochs",
        "4",
        "--reduction",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    let rs = rows(&u);
    assert_eq!(
        per_rung(&rs).into_iter().collect::<Vec<_>>(),
        vec![((0, 0), 6), ((0, 1), 3), ((0, 2), 1)]
    );
    for r in rs.iter().filter(|x| x.rung > 0) {
        assert_eq!(r.resumed_from, [1, 2][r.rung - 1], "{r:?}");
    }
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed), (1, 0), "{jobs:?}");
    // Checkpoints travelled through the store (a tar of the run directory per paused job)
    // and were dropped when the search ended.
    let store = Store::open(&u).unwrap();
    assert!(jobs.iter().all(|j| store.checkpoint(j.id).unwrap().is_none()));
    std::fs::remove_dir_all(&dir).ok();
}

/// A worker killed mid-rung loses only that rung: the job's lease runs out, another worker
/// trains the rung again, and every (job, rung) is recorded once. The controller, killed and
/// started again, continues from the rung table to exactly 27 -> 9 -> 3.
#[test]
fn killed_workers_and_controllers_lose_only_a_rung() {
    let dir = tmp("mf-kill");
    let u = url(&dir);
    let mut args = synthetic(&u, "successive-halving", "27", "150");
    let w = args.iter().position(|a| *a == "--workers").unwrap();
    args[w + 1] = "0";
    args.extend(["--lease", "2"]);
    let spawn = |a: &[&str]| spawn(a, &[]);
    let worker =
        |name: &str| spawn(&["worker", "--store", &u, "--lease", "2", "--quiet", "--name", name]);
    let mut controller = spawn(&args);
    assert!(wait_for(30, || Store::open(&u).is_ok()), "no store");
    let mut victim = worker("victim");
    let mut others = vec![worker("w1"), worker("w2")];
    // Kill the victim while it trains a job (any rung), and the controller once rung 1 began.
    assert!(wait_for(60, || audit(&u)
        .2
        .iter()
        .any(|j| j.state == "running" && j.worker.as_deref() == Some("victim"))));
    victim.kill().unwrap();
    let _ = victim.wait();
    assert!(wait_for(120, || rows(&u).iter().any(|r| r.rung == 1)), "no promotion");
    controller.kill().unwrap();
    let _ = controller.wait();
    std::thread::sleep(Duration::from_millis(300));
    let (code, _, err) = nasc(&args);
    assert_eq!(code, 0, "{err}");
    for mut o in others.drain(..) {
        let _ = o.kill();
        let _ = o.wait();
    }
    let rs = rows(&u);
    assert_eq!(
        per_rung(&rs).into_iter().collect::<Vec<_>>(),
        vec![((0, 0), 27), ((0, 1), 9), ((0, 2), 3)]
    );
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed, jobs.len()), (3, 0, 27));
    std::fs::remove_dir_all(&dir).ok();
}

/// Multi-objective search (accuracy, params): `search front` writes exactly the
/// non-dominated evaluated genotypes, each as a spec that compiles to its recorded size; the
/// plot draws the front; an objective list without accuracy is a usage error.
#[test]
fn a_two_objective_search_writes_its_pareto_front() {
    let dir = tmp("pareto");
    let u = url(&dir);
    let run = |objectives: &str| {
        nasc(&[
            "search",
            "specs/regnet.nas",
            "--store",
            &u,
            "--fitness",
            "synthetic",
            "--evaluations",
            "60",
            "--population",
            "10",
            "--workers",
            "2",
            "--objectives",
            objectives,
        ])
    };
    let (code, _, err) = run("params");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run("accuracy,params");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Pareto front of accuracy, params"), "{err}");
    let jobs = audit(&u).2;
    let done: Vec<_> = jobs.iter().filter(|j| j.state == "done").collect();
    let dominated = |a: &nasc_search::store::Job| {
        done.iter().any(|b| {
            let (fa, fb) = (a.fitness.unwrap(), b.fitness.unwrap());
            fb >= fa && b.params <= a.params && (fb > fa || b.params < a.params)
        })
    };
    let mut expected: Vec<i64> = done.iter().filter(|j| !dominated(j)).map(|j| j.id).collect();
    expected.sort_unstable();
    let out = dir.join("front");
    let (code, stdout, err) =
        nasc(&["search", "front", "--store", &u, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut written: Vec<i64> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_prefix("front_")?.strip_suffix(".nas")?.parse().ok()
        })
        .collect();
    written.sort_unstable();
    assert_eq!(written, expected, "{stdout}");
    for id in &written {
        let spec = out.join(format!("front_{id:04}.nas"));
        let (code, json, err) = nasc(&["stats", spec.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let job = jobs.iter().find(|j| j.id == *id).unwrap();
        assert_eq!(v["params"].as_u64(), Some(job.params), "front_{id}");
    }
    assert!(
        std::fs::read_to_string(out.join("front.csv")).unwrap().lines().count()
            == written.len() + 1
    );
    let svg = dir.join("front.svg");
    let (code, _, err) = nasc(&["search", "plot", "--store", &u, "-o", svg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("Pareto front"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `--strategy rl --controller factorised`: the policy learns from the rewards (it leaves the uniform distribution
/// and proposes better than it started) and lives in the store; a controller killed and
/// started again continues the stored state (the results it learnt from stay learnt, in the
/// same order) and the search ends with exactly its budget. Also under ASHA.
#[test]
fn the_rl_controller_learns_and_survives_a_restart() {
    let dir = tmp("rl");
    let u = url(&dir);
    let args = rl_search(&u, "150", &["--controller", "factorised"]);
    let state = || -> Option<nasc_search::rl::Policy> {
        let json = Store::open(&u).ok()?.meta("rl_state").ok()??;
        serde_json::from_str(&json).ok()
    };
    let mut controller = spawn(&args, &[]);
    assert!(wait_for(60, || state().is_some_and(|p| p.consumed.len() >= 30)), "no learning");
    controller.kill().unwrap();
    let _ = controller.wait();
    // The restarted controller must continue the stored state: make it certain of one
    // value (e1_0 = none, the first of its domain) and see every later proposal take it.
    let mut before = state().unwrap();
    let seen = audit(&u).2.iter().map(|j| j.id).max().unwrap_or(0);
    before.logits[0] = vec![50.0, 0.0, 0.0, 0.0, 0.0];
    Store::open(&u)
        .unwrap()
        .set_meta("rl_state", &serde_json::to_string(&before).unwrap())
        .unwrap();
    let (code, _, err) = nasc(&args);
    assert_eq!(code, 0, "{err}");
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed, jobs.len()), (150, 0, 150));
    let after = state().unwrap();
    assert_eq!(after.consumed[..before.consumed.len()], before.consumed[..], "state continued");
    assert!(after.consumed.len() > before.consumed.len());
    let later: Vec<_> = jobs.iter().filter(|j| j.id > seen).collect();
    assert!(later.len() > 50);
    assert!(later.iter().all(|j| j.genotype[0] == ("e1_0".to_string(), "none".to_string())));
    // Learnt: the policy is no longer uniform (that it learns the rewarded values is
    // nasc-search's unit test; how it compares with random search, BENCHMARKS.md).
    assert!(after.logits.iter().flatten().any(|l| l.abs() > 0.05));
    // Under ASHA as well.
    let u2 = url(&tmp("rl-asha"));
    let mut a: Vec<&str> = args.to_vec();
    a[3] = &u2;
    let e = a.iter().position(|x| *x == "--evaluations").unwrap();
    a[e + 1] = "27";
    a.extend(["--scheduler", "asha", "--max-epochs", "9"]);
    let (code, _, err) = nasc(&a);
    assert_eq!(code, 0, "{err}");
    assert_eq!(audit(&u2).2.len(), 27);
    std::fs::remove_dir_all(&dir).ok();
}

/// `--strategy rl` with NASNet's LSTM controller (the default): its state — weights, Adam's
/// moments, baseline, the results learnt from — is in the store. A controller SIGKILLed
/// mid-search (whatever it was doing: the state is committed with the proposals it made, so
/// an update cut short is simply not there) and started again continues the stored state. To
/// show it is the stored network that proposes, the test replaces it, before the restart, with
/// the same network trained offline to prefer one value of the first decision; every later
/// proposal comes from that network. The search ends with exactly its budget.
#[test]
fn the_lstm_controller_continues_its_stored_state() {
    use nasc_burn::policy::LstmPolicy;
    use nasc_search::rl::LstmState;
    use rand::{Rng, SeedableRng};
    let dir = tmp("rl-lstm");
    let u = url(&dir);
    let args = rl_search(&u, "150", &[]);
    let state = || -> Option<LstmState> {
        let json = Store::open(&u).ok()?.meta("rl_lstm_state").ok()??;
        serde_json::from_str(&json).ok()
    };
    let mut controller = spawn(&args, &[]);
    assert!(wait_for(60, || state().is_some_and(|p| p.consumed.len() >= 30)), "no learning");
    controller.kill().unwrap();
    let _ = controller.wait();
    let mut before = state().unwrap();
    assert!(before.updates > 0);
    let seen = audit(&u).2.iter().map(|j| j.id).max().unwrap_or(0);
    // NAS-Bench-201: six edges of five ops; the first value of e1_0 is `none`.
    let sizes = [5; 6];
    let (net, optim) = before.weights().unwrap();
    let mut p = LstmPolicy::load(&sizes, &net, &optim).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for _ in 0..300 {
        let batch: Vec<(Vec<usize>, f64)> = (0..16)
            .map(|_| {
                let s = p.sample(&mut || rng.random());
                let r = if s[0] == 0 { 0.8 } else { -0.2 };
                (s, r)
            })
            .collect();
        p.update(&batch).unwrap();
    }
    let first = p.probabilities(&[]);
    assert!(first[0] > 0.9, "offline training: {first:?}");
    let (net, optim) = p.save().unwrap();
    before.set_weights(&net, &optim);
    Store::open(&u)
        .unwrap()
        .set_meta("rl_lstm_state", &serde_json::to_string(&before).unwrap())
        .unwrap();
    let (code, _, err) = nasc(&args);
    assert_eq!(code, 0, "{err}");
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed, jobs.len()), (150, 0, 150));
    let after = state().unwrap();
    assert_eq!(after.consumed[..before.consumed.len()], before.consumed[..], "state continued");
    assert!(after.consumed.len() > before.consumed.len() && after.updates > before.updates);
    let mut ids: Vec<i64> = after.consumed.clone();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), after.consumed.len(), "a result learnt from twice");
    // Later proposals come from the replaced network (a fresh or the old one: about 1 in 5).
    let later: Vec<_> = jobs.iter().filter(|j| j.id > seen).collect();
    let none = later.iter().filter(|j| j.genotype[0].1 == "none").count();
    assert!(later.len() > 50);
    assert!(none * 10 > later.len() * 7, "{none} of {} take e1_0 = none", later.len());
    // `search status` reports where the controller stands.
    let (code, json, err) = nasc(&["search", "status", "--store", &u, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["controller"]["kind"], "lstm");
    assert_eq!(v["controller"]["learnt"].as_u64(), Some(after.consumed.len() as u64));
    assert_eq!(v["controller"]["updates"].as_u64(), Some(after.updates));
    std::fs::remove_dir_all(&dir).ok();
}

/// `--objectives accuracy,latency`: every worker measures each genotype's inference latency
/// (batch 1 and the training batch, on its back end) before its result, and the store keeps
/// it with the machine it was measured on; the front is the non-dominated set in (accuracy,
/// latency), written with the latencies and the machine. Under ASHA each job is measured at
/// its first rung. A version-2 store (before latency) is upgraded in place.
#[test]
fn a_latency_objective_is_measured_and_kept_with_its_machine() {
    let dir = tmp("latency");
    latency_front(&url(&dir), &dir);
    asha_and_upgrade();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_latency_objective_is_measured_and_kept_with_its_machine_postgres() {
    if let Some(u) = super::search::pg("latency") {
        let dir = tmp("latency-pg");
        latency_front(&u, &dir);
        std::fs::remove_dir_all(&dir).ok();
    }
}

fn latency_front(u: &str, dir: &std::path::Path) {
    let args = [
        "search",
        "specs/nas_bench_201.nas",
        "--store",
        u,
        "--fitness",
        "synthetic",
        "--evaluations",
        "10",
        "--population",
        "4",
        "--workers",
        "2",
        "--batch-size",
        "4",
        "--objectives",
        "accuracy,latency",
        "--quiet",
    ];
    let (code, _, err) = nasc(&args);
    assert_eq!(code, 0, "{err}");
    let finals = Store::open(u).unwrap().finals().unwrap();
    assert_eq!(finals.len(), 10);
    for e in &finals {
        let l = e.latency.as_ref().unwrap_or_else(|| panic!("job {} has no latency", e.id));
        assert!(l.single_ms > 0.0 && l.batch_ms > 0.0, "{l:?}");
        assert!(l.machine.ends_with("cores, flex backend"), "{l:?}");
    }
    let ms = |e: &nasc_search::Evaluated| e.latency.as_ref().unwrap().single_ms;
    let dominated = |a: &nasc_search::Evaluated| {
        finals.iter().any(|b| {
            b.fitness >= a.fitness && ms(b) <= ms(a) && (b.fitness > a.fitness || ms(b) < ms(a))
        })
    };
    let expected: Vec<i64> = finals.iter().filter(|e| !dominated(e)).map(|e| e.id).collect();
    let out = dir.join("front");
    let (code, stdout, err) = nasc(&["search", "front", "--store", u, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(out.join("front.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().contains("latency_ms,latency_batch_ms,machine"));
    // The front is written in front order, not by job: compare the sets.
    let mut written: Vec<i64> =
        lines.map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    written.sort_unstable();
    assert_eq!(written, expected, "{stdout}");
    assert!(stdout.contains("ms/image"), "{stdout}");
}

fn asha_and_upgrade() {
    // ASHA: every configuration measured (at its first rung), promoted ones keep theirs.
    let u2 = url(&tmp("latency-asha"));
    let mut a = synthetic(&u2, "asha", "9", "0");
    a.extend(["--objectives", "accuracy,latency", "--batch-size", "4"]);
    let (code, _, err) = nasc(&a);
    assert_eq!(code, 0, "{err}");
    let store = Store::open(&u2).unwrap();
    assert_eq!(store.jobs().unwrap().len(), 9);
    let all = store.evaluated().unwrap();
    assert_eq!(all.len(), 9);
    assert!(all.iter().all(|e| e.latency.is_some()));
    // A store made before latency existed (schema 2) is upgraded when opened.
    let old = tmp("latency-v2");
    let u3 = url(&old);
    let (code, _, err) = nasc(&[
        "search",
        "specs/regnet.nas",
        "--store",
        &u3,
        "--fitness",
        "synthetic",
        "--evaluations",
        "3",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let conn = rusqlite::Connection::open(old.join("s.db")).unwrap();
    conn.execute_batch(
        "ALTER TABLE jobs DROP COLUMN latency_ms; ALTER TABLE jobs DROP COLUMN latency_batch_ms; ALTER TABLE jobs DROP COLUMN machine; UPDATE meta SET value = '2' WHERE key = 'schema_version';",
    )
    .unwrap();
    drop(conn);
    let (code, out3, err) = nasc(&["search", "status", "--store", &u3, "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out3.contains("\"done\": 3") || out3.contains("\"done\":3"), "{out3}");
    let conn = rusqlite::Connection::open(old.join("s.db")).unwrap();
    let v: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, "3");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM jobs WHERE latency_ms IS NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    std::fs::remove_dir_all(&old).ok();
}

/// The LSTM controller SIGKILLed in the middle of an RL update (fault injection: the network
/// has stepped, its new state is not stored yet): the store still holds the state committed
/// before that update, whole and loadable; the restarted controller continues it (the results
/// learnt from before stay first, in order; the interrupted update's results are learnt once,
/// by the new process), and the search ends with exactly its budget.
#[test]
fn the_lstm_controller_killed_mid_update_resumes_the_committed_state() {
    use nasc_search::rl::LstmState;
    let dir = tmp("rl-kill-update");
    let u = url(&dir);
    let flag = dir.join("in-update");
    let args = rl_search(&u, "80", &[]);
    let state = || -> Option<LstmState> {
        let json = Store::open(&u).ok()?.meta("rl_lstm_state").ok()??;
        serde_json::from_str(&json).ok()
    };
    let mut controller = spawn(&args, &[("NASC_FAULT_RL_UPDATE", &flag)]);
    assert!(wait_for(60, || flag.exists()), "the controller never reached its third update");
    let before = state().expect("two updates committed");
    assert!(!before.consumed.is_empty());
    controller.kill().unwrap();
    let _ = controller.wait();
    let after_kill = state().unwrap();
    assert_eq!(after_kill, before, "the interrupted update left the committed state");
    let (net, optim) = after_kill.weights().unwrap();
    assert!(nasc_burn::policy::LstmPolicy::load(&[5; 6], &net, &optim).is_ok());
    let (code, _, err) = nasc(&args);
    assert_eq!(code, 0, "{err}");
    let (done, failed, jobs) = audit(&u);
    assert_eq!((done, failed, jobs.len()), (80, 0, 80));
    let after = state().unwrap();
    assert_eq!(after.consumed[..before.consumed.len()], before.consumed[..]);
    assert!(after.updates > before.updates && after.consumed.len() > before.consumed.len());
    let mut ids = after.consumed.clone();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), after.consumed.len(), "a result learnt from twice");
    std::fs::remove_dir_all(&dir).ok();
}
