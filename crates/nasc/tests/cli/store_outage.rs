//! Searches survive their store, not only their workers: a PostgreSQL server restarted
//! (`pg_ctl stop -m immediate`, started again seconds later) in the middle of a search, and a
//! SQLite store locked for longer than the busy timeout, are waited out — the controller and
//! every worker reconnect with backoff, say so on stderr, and the search finishes by itself
//! with exactly the budget of evaluations, each genotype once. A store that stays away longer
//! than `--store-timeout` ends the search with a clear error (exit 1).
//!
//! The PostgreSQL tests start a private server (initdb in a temporary directory, a free
//! port), so restarting it disturbs no other test; under CI, missing PostgreSQL binaries are
//! a failure, not a skip.

use super::search::{audit, exe, tmp, url, wait_exit, wait_for};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A PostgreSQL server of one test.
struct PrivatePg {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl PrivatePg {
    /// Starts one, or `None` (with a note) where PostgreSQL is not installed outside CI.
    fn start(name: &str) -> Option<PrivatePg> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("pg_ctl").is_file())
            .max();
        let Some(bin) = bin else {
            assert!(std::env::var_os("CI").is_none(), "CI must run the PostgreSQL outage tests");
            eprintln!("note: no PostgreSQL under /usr/lib/postgresql; skipping {name}");
            return None;
        };
        let data = tmp(&format!("pg-{name}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = PrivatePg { bin, data, port };
        if is_root() {
            assert!(
                Command::new("chown").arg("postgres").arg(&pg.data).status().unwrap().success()
            );
        }
        let data = pg.data.display().to_string();
        assert!(pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "nasc"]), "initdb");
        pg.up();
        Some(pg)
    }

    /// Runs a PostgreSQL program (as the `postgres` user when the tests run as root:
    /// the server refuses root).
    fn run(&self, program: &str, args: &[&str]) -> bool {
        let prog = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(prog);
            c
        } else {
            Command::new(prog)
        };
        cmd.args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn up(&self) {
        let data = self.data.display().to_string();
        let opts = format!("-p {} -k {data} -c listen_addresses=127.0.0.1", self.port);
        let log = self.data.join("server.log").display().to_string();
        assert!(self.run("pg_ctl", &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"]));
    }

    /// Stops the server as a crash would (no shutdown checkpoint; clients cut off).
    fn crash(&self) {
        let data = self.data.display().to_string();
        assert!(self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]));
    }

    /// A fresh database on it.
    fn database(&self, db: &str) -> String {
        let base = format!("postgres://nasc@127.0.0.1:{}", self.port);
        let mut admin =
            postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
        format!("{base}/{db}")
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A synthetic search of `n` evaluations with 4 local workers, its stderr in `log`.
fn search(store: &str, n: usize, timeout: &str, log: &Path) -> Child {
    let n = n.to_string();
    Command::new(exe())
        .args(["search", "specs/nas_bench_201.nas", "--store", store, "--fitness", "synthetic"])
        .args(["--synthetic-ms", "40", "--evaluations", &n, "--workers", "4", "--lease", "30"])
        .args(["--store-timeout", timeout, "--quiet"])
        .current_dir(nasc_test_support::root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("spawn nasc search")
}

fn done(store: &str) -> usize {
    nasc_search::store::Store::open(store).and_then(|s| s.counts()).map_or(0, |c| c.done)
}

/// Exactly `n` evaluations, every genotype once, none failed.
fn exactly(store: &str, n: usize) {
    let (done, failed, jobs) = audit(store);
    assert_eq!((done, failed, jobs.len()), (n, 0, n), "exactly the budget, each once");
}

#[test]
fn a_postgres_restart_mid_search_is_waited_out() {
    let Some(pg) = PrivatePg::start("restart") else { return };
    let store = pg.database("outage");
    let dir = tmp("pg-outage-log");
    let log = dir.join("search.err");
    let mut s = search(&store, 400, "300", &log);
    assert!(wait_for(60, || done(&store) >= 40), "no progress before the restart");
    pg.crash();
    std::thread::sleep(Duration::from_secs(4));
    pg.up();
    assert_eq!(wait_exit(&mut s, 120), 0, "{}", std::fs::read_to_string(&log).unwrap());
    exactly(&store, 400);
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(err.contains("unreachable") && err.contains("reachable again after"), "{err}");

    // Away for good: the search gives up after --store-timeout with a clear error.
    let store = pg.database("gone");
    let mut s = search(&store, 100_000, "3", &log);
    assert!(wait_for(60, || done(&store) >= 5), "no progress");
    pg.crash();
    assert_eq!(wait_exit(&mut s, 60), 1);
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(err.contains("--store-timeout is 3 s"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_sqlite_store_locked_past_the_busy_timeout_is_waited_out() {
    let dir = tmp("sqlite-outage");
    let store = url(&dir);
    let log = dir.join("search.err");
    let mut s = search(&store, 300, "300", &log);
    assert!(wait_for(60, || done(&store) >= 30), "no progress before the lock");
    // Another process holds the write lock for 8 s (the busy timeout is 5 s).
    let lock = rusqlite::Connection::open(dir.join("s.db")).unwrap();
    lock.busy_timeout(Duration::from_secs(30)).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    std::thread::sleep(Duration::from_secs(8));
    lock.execute_batch("COMMIT").unwrap();
    drop(lock);
    assert_eq!(wait_exit(&mut s, 120), 0, "{}", std::fs::read_to_string(&log).unwrap());
    exactly(&store, 300);
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(err.contains("database is locked") && err.contains("reachable again"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
