//! A promotion racing a lease expiry, interleaved deterministically against a real store
//! (SQLite; PostgreSQL too where NASC_TEST_POSTGRES names a server): worker A claims a job at
//! rung 0 and stalls past its lease; B claims it again, finishes the rung, the scheduler
//! promotes it (a promotion starts the job's attempts afresh) and C claims rung 1 — with the
//! same attempt number A holds. Every late write of A (heartbeat, latency, a result, a
//! failure) must be refused and change nothing: each (job, rung) is recorded exactly once,
//! by the attempt that owns it.

use nasc_search::store::{RungRecord, Store};
use nasc_search::{Checked, Latency};
use std::time::Duration;

fn cfg() -> nasc_search::SearchConfig {
    serde_json::from_value(serde_json::json!({
        "strategy": "random", "population": 4, "tournament": 0.05, "evaluations": 3, "seed": 1, "max_params": null, "max_flops": null,
        "fitness": "synthetic", "fixed": [], "network": null,
        "train": {"data": "synthetic", "data_dir": null, "epochs": 1, "batch_size": 8, "limit_train": null, "holdout": 8, "synthetic_ms": 0},
        "fidelity": {"scheduler": "successive-halving", "min_epochs": 1, "max_epochs": 9, "reduction": 3, "brackets": null}
    }))
    .unwrap()
}

fn rung(fitness: f64, epochs: usize) -> RungRecord {
    RungRecord { fitness, epochs, resumed_from: 0, checkpoint: None }
}

fn race(url: &str) {
    let src =
        std::fs::read_to_string(nasc_test_support::root().join("specs/nas_bench_201.nas")).unwrap();
    let cfg = cfg();
    let (store, _) = Store::create_or_resume(url, &src, &cfg).unwrap();
    let space = nasc_search::space(&src, &cfg).unwrap();
    let mut rng = nasc_search::rng_for(1, 0);
    let g = nasc_search::sample(&space, &mut rng);
    let checked = Checked { params: 1, flops: 1, activations: 1 };
    assert!(store.enqueue(&g, None, &checked, (0, 0)).unwrap());
    // A claims rung 0 with a lease that runs out at once, and stalls.
    let a = store.claim("A", 0.01).unwrap().unwrap();
    assert_eq!((a.rung, a.attempt), (0, 1));
    std::thread::sleep(Duration::from_millis(50));
    // B takes the expired claim over, finishes rung 0; the scheduler promotes the job.
    let b = store.claim("B", 60.0).unwrap().unwrap();
    assert_eq!((b.id, b.rung, b.attempt), (a.id, 0, 2));
    assert!(store.complete_rung(&b, &rung(0.5, 1), false).unwrap());
    assert!(store.promote(b.id, 1).unwrap());
    assert!(!store.promote(b.id, 1).unwrap(), "promoted once");
    // C claims rung 1: attempt 1 again, as A's.
    let c = store.claim("C", 60.0).unwrap().unwrap();
    assert_eq!((c.id, c.rung, c.attempt), (a.id, 1, 1));
    // A wakes up: nothing it writes lands.
    assert!(!store.heartbeat(&a, 3600.0).unwrap(), "stale heartbeat");
    let l = Latency { single_ms: 1.0, batch_ms: 2.0, machine: "A".into() };
    assert!(!store.record_latency(&a, &l).unwrap(), "stale latency");
    assert!(!store.complete_rung(&a, &rung(0.9, 1), false).unwrap(), "stale rung result");
    assert!(!store.complete(&a, &Err::<f64, _>("A failed")).unwrap(), "stale failure");
    assert!(!store.complete(&a, &Ok::<f64, String>(0.9)).unwrap(), "stale result");
    let job = store.jobs().unwrap().into_iter().find(|j| j.id == a.id).unwrap();
    assert_eq!(
        (job.state.as_str(), job.worker.as_deref(), job.attempt, job.fitness, job.error),
        ("running", Some("C"), 1, Some(0.5), None)
    );
    assert!(!store.has_latency(a.id).unwrap());
    // C's claim is intact: its lease was not stretched by A, it records rung 1.
    assert!(store.heartbeat(&c, 60.0).unwrap());
    assert!(store.complete_rung(&c, &rung(0.7, 3), false).unwrap());
    let rows: Vec<(i64, usize, f64)> =
        store.rung_rows().unwrap().iter().map(|r| (r.job, r.rung, r.fitness)).collect();
    assert_eq!(rows, [(a.id, 0, 0.5), (a.id, 1, 0.7)]);
}

#[test]
fn a_promotion_racing_a_lease_expiry_is_recorded_once_sqlite() {
    let dir = std::env::temp_dir().join(format!("nasc-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    race(&format!("sqlite:{}", dir.join("s.db").display()));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_promotion_racing_a_lease_expiry_is_recorded_once_postgres() {
    let Ok(base) = std::env::var("NASC_TEST_POSTGRES") else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the PostgreSQL tests");
        eprintln!("note: NASC_TEST_POSTGRES is not set; skipping the PostgreSQL race");
        return;
    };
    let base = base.trim_end_matches('/').to_string();
    let db = format!("nasc_race_{}", std::process::id());
    let mut admin =
        postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    race(&format!("{base}/{db}"));
}
