//! The store a search's controller and workers share: one `jobs` table that is both the
//! queue Q (state `queued`) and the result table M (`done` with a fitness), plus `meta` (the
//! schema version, the spec's source, the search configuration, counters). SQLite, bundled,
//! in WAL mode with a busy timeout, so that many local worker processes write to one file
//! without "database is locked" failures.
//!
//! Leases: a worker claims a job for `lease` seconds and renews it (heartbeats) while it
//! works; a job whose lease ran out (its worker was killed) is claimed again, and only the
//! holder of the current attempt can complete it — an evaluation counts exactly once.

use super::{Genotype, SearchConfig};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::PathBuf;
use std::time::Duration;

/// The schema this nasc reads and writes; a store of another version is refused.
pub const SCHEMA_VERSION: i64 = 1;

/// A job lost with its worker this many times is marked failed instead of retried.
pub const MAX_ATTEMPTS: i64 = 3;

#[derive(Debug)]
pub enum StoreError {
    /// The URL is not one nasc knows (usage error).
    Url(String),
    /// The store cannot be opened or used.
    Unreachable(String),
    /// The store holds another schema version, or another search.
    Mismatch(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Url(m) | StoreError::Unreachable(m) | StoreError::Mismatch(m) => f.write_str(m),
        }
    }
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Unreachable(format!("store error: {e}"))
}

/// Where a store lives, from `--store URL`.
pub fn parse_url(url: &str) -> Result<PathBuf, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        if path.is_empty() {
            return Err(StoreError::Url("--store sqlite:PATH needs a file path, e.g. sqlite:search.db".into()));
        }
        return Ok(PathBuf::from(path));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(StoreError::Url("PostgreSQL stores are not supported by this build of nasc yet; use --store sqlite:PATH (one machine, many worker processes)".into()));
    }
    Err(StoreError::Url(format!("`{url}` is not a store URL: use sqlite:PATH (e.g. --store sqlite:search.db)")))
}

pub fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Counts of jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub queued: usize,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.queued + self.running + self.done + self.failed
    }
    pub fn finished(&self) -> usize {
        self.done + self.failed
    }
}

/// A claimed job: what to evaluate, and the attempt that must complete it.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: i64,
    pub attempt: i64,
    pub genotype: Genotype,
    pub params: u64,
}

/// One row of the jobs table, for status and plots.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    pub id: i64,
    pub genotype: Genotype,
    pub parent: Option<i64>,
    pub params: u64,
    pub flops: u64,
    pub state: String,
    pub worker: Option<String>,
    pub attempt: i64,
    pub fitness: Option<f64>,
    pub error: Option<String>,
    pub started: Option<f64>,
    pub finished: Option<f64>,
}

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens an existing store (workers, status): refused if missing or of another schema.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let path = parse_url(url)?;
        if !path.is_file() {
            return Err(StoreError::Unreachable(format!("no search store at {} (start one with `nasc search SPACE --store {url}`)", path.display())));
        }
        let s = Store::connect(&path)?;
        s.check_version()?;
        Ok(s)
    }

    /// Opens or creates the store of a search (the controller). A new store records the spec
    /// and configuration; an existing one must hold the same, and the search continues.
    pub fn create_or_resume(url: &str, source: &str, cfg: &SearchConfig) -> Result<(Store, bool), StoreError> {
        let path = parse_url(url)?;
        let existed = path.is_file();
        let s = Store::connect(&path)?;
        s.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS jobs (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL UNIQUE,
                    genotype TEXT NOT NULL,
                    parent INTEGER,
                    params INTEGER NOT NULL,
                    flops INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    worker TEXT,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    lease_until REAL,
                    fitness REAL,
                    error TEXT,
                    created REAL NOT NULL,
                    started REAL,
                    finished REAL);
                 CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id);
                 CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished);
                 CREATE TABLE IF NOT EXISTS workers (name TEXT PRIMARY KEY, last_seen REAL NOT NULL);",
            )
            .map_err(db)?;
        let cfg_json = serde_json::to_string(cfg).map_err(|e| StoreError::Unreachable(e.to_string()))?;
        if existed && s.meta("schema_version")?.is_some() {
            s.check_version()?;
            let (old_src, old_cfg) = (s.meta("spec")?.unwrap_or_default(), s.meta("config")?.unwrap_or_default());
            if old_src != source || old_cfg != cfg_json {
                return Err(StoreError::Mismatch(format!(
                    "{} holds another search (a different spec or settings); continue it with the same command, or use a new --store",
                    path.display()
                )));
            }
            return Ok((s, true));
        }
        let tx = s.conn.unchecked_transaction().map_err(db)?;
        for (k, v) in [("schema_version", SCHEMA_VERSION.to_string()), ("spec", source.to_string()), ("config", cfg_json), ("proposals", "0".into()), ("invalid", "0".into()), ("over_budget", "0".into()), ("duplicates", "0".into()), ("finished", "0".into())] {
            tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![k, v]).map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok((s, false))
    }

    fn connect(path: &std::path::Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError::Unreachable(format!("cannot open the store {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(db)?;
        // WAL: readers never block the writer; NORMAL sync is safe with WAL (a power cut can
        // lose the last commits, never corrupt the file).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db)?;
        Ok(Store { conn })
    }

    fn check_version(&self) -> Result<(), StoreError> {
        let v = self.meta("schema_version").map_err(|_| StoreError::Mismatch("the store is not a nasc search store (no schema version)".into()))?;
        match v.and_then(|v| v.parse::<i64>().ok()) {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(other) => Err(StoreError::Mismatch(format!("the store has schema version {other}; this nasc reads version {SCHEMA_VERSION}"))),
            None => Err(StoreError::Mismatch("the store is not a nasc search store (no schema version)".into())),
        }
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(db)
    }

    pub fn counter(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self.meta(key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    pub fn bump(&self, key: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = ?1", [key]).map_err(db)?;
        Ok(())
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value]).map_err(db)?;
        Ok(())
    }

    /// The spec and configuration the search was started with.
    pub fn search(&self) -> Result<(String, SearchConfig), StoreError> {
        let src = self.meta("spec")?.ok_or_else(|| StoreError::Mismatch("the store has no spec".into()))?;
        let cfg = self.meta("config")?.ok_or_else(|| StoreError::Mismatch("the store has no configuration".into()))?;
        let cfg: SearchConfig = serde_json::from_str(&cfg).map_err(|e| StoreError::Mismatch(format!("the store's configuration is unreadable: {e}")))?;
        Ok((src, cfg))
    }

    /// Queues a candidate; `false` when the same genotype is already in the store.
    pub fn enqueue(&self, g: &Genotype, parent: Option<i64>, params: u64, flops: u64) -> Result<bool, StoreError> {
        let json = serde_json::to_string(g).map_err(|e| StoreError::Unreachable(e.to_string()))?;
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO jobs (key, genotype, parent, params, flops, state, created) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
                params![super::key(g), json, parent, params as i64, flops as i64, now()],
            )
            .map_err(db)?;
        Ok(n == 1)
    }

    pub fn counts(&self) -> Result<Counts, StoreError> {
        let mut c = Counts::default();
        let mut st = self.conn.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state").map_err(db)?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(db)?;
        for row in rows {
            let (state, n) = row.map_err(db)?;
            let n = n as usize;
            match state.as_str() {
                "queued" => c.queued = n,
                "running" => c.running = n,
                "done" => c.done = n,
                _ => c.failed += n,
            }
        }
        Ok(c)
    }

    /// Claims the oldest queued job, or one whose lease ran out (its worker died), for
    /// `lease` seconds. A job already lost `MAX_ATTEMPTS` times is marked failed instead.
    pub fn claim(&self, worker: &str, lease: f64) -> Result<Option<Claim>, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(db)?;
        let t = now();
        // Workers announce themselves on every claim: the controller sizes the queue by them.
        tx.execute("INSERT INTO workers (name, last_seen) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET last_seen = excluded.last_seen", params![worker, t]).map_err(db)?;
        tx.execute(
            "UPDATE jobs SET state = 'failed', error = 'its worker was lost ' || attempt || ' times (killed, or out of memory?)', finished = ?1
             WHERE state = 'running' AND lease_until < ?1 AND attempt >= ?2",
            params![t, MAX_ATTEMPTS],
        )
        .map_err(db)?;
        let row = tx
            .query_row(
                "SELECT id, attempt, genotype, params FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < ?1) ORDER BY id LIMIT 1",
                [t],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((id, attempt, json, params)) = row else {
            tx.commit().map_err(db)?;
            return Ok(None);
        };
        tx.execute("UPDATE jobs SET state = 'running', worker = ?1, attempt = ?2, lease_until = ?3, started = ?4 WHERE id = ?5", params![worker, attempt + 1, t + lease, t, id])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        let genotype: Genotype = serde_json::from_str(&json).map_err(|e| StoreError::Mismatch(format!("job {id} has an unreadable genotype: {e}")))?;
        Ok(Some(Claim { id, attempt: attempt + 1, genotype, params: params.max(0) as u64 }))
    }

    /// Renews a lease; `false` when the job is no longer this attempt's.
    pub fn heartbeat(&self, c: &Claim, lease: f64) -> Result<bool, StoreError> {
        let n = self.conn.execute("UPDATE jobs SET lease_until = ?1 WHERE id = ?2 AND attempt = ?3 AND state = 'running'", params![now() + lease, c.id, c.attempt]).map_err(db)?;
        Ok(n == 1)
    }

    /// Records the result of an attempt (a fitness, or a failure's reason). `false` when the
    /// lease was lost meanwhile and another attempt owns the job (the result is dropped).
    pub fn complete(&self, c: &Claim, result: Result<f64, String>) -> Result<bool, StoreError> {
        let (state, fitness, error) = match result {
            Ok(f) => ("done", Some(f), None),
            Err(e) => ("failed", None, Some(e)),
        };
        let n = self
            .conn
            .execute(
                "UPDATE jobs SET state = ?1, fitness = ?2, error = ?3, finished = ?4, lease_until = NULL WHERE id = ?5 AND attempt = ?6 AND state = 'running'",
                params![state, fitness, error, now(), c.id, c.attempt],
            )
            .map_err(db)?;
        Ok(n == 1)
    }

    /// Evaluated genotypes in the order they finished (the strategies' view).
    pub fn evaluated(&self) -> Result<Vec<super::Evaluated>, StoreError> {
        Ok(self.evaluated_since(f64::NEG_INFINITY)?.into_iter().map(|(e, _)| e).collect())
    }

    /// Genotypes evaluated at or after `t` (seconds), in finishing order, with their finishing
    /// times: the controller reads only what is new since its last look.
    pub fn evaluated_since(&self, t: f64) -> Result<Vec<(super::Evaluated, f64)>, StoreError> {
        let mut st = self.conn.prepare("SELECT id, genotype, fitness, finished FROM jobs WHERE state = 'done' AND finished >= ?1 ORDER BY finished, id").map_err(db)?;
        let rows = st.query_map([t], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, f64>(2)?, r.get::<_, f64>(3)?))).map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json, fitness, finished) = row.map_err(db)?;
            let genotype: Genotype = serde_json::from_str(&json).map_err(|e| StoreError::Mismatch(format!("job {id}: {e}")))?;
            out.push((super::Evaluated { id, genotype, fitness }, finished));
        }
        Ok(out)
    }

    /// Workers that claimed or asked for a job in the last `secs` seconds.
    pub fn active_workers(&self, secs: f64) -> Result<usize, StoreError> {
        let n: i64 = self.conn.query_row("SELECT COUNT(*) FROM workers WHERE last_seen >= ?1", [now() - secs], |r| r.get(0)).map_err(db)?;
        Ok(n.max(0) as usize)
    }

    /// Every job, by id.
    pub fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let mut st = self.conn.prepare("SELECT id, genotype, parent, params, flops, state, worker, attempt, fitness, error, started, finished FROM jobs ORDER BY id").map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    Job {
                        id: r.get(0)?,
                        genotype: Vec::new(),
                        parent: r.get(2)?,
                        params: r.get::<_, i64>(3)?.max(0) as u64,
                        flops: r.get::<_, i64>(4)?.max(0) as u64,
                        state: r.get(5)?,
                        worker: r.get(6)?,
                        attempt: r.get(7)?,
                        fitness: r.get(8)?,
                        error: r.get(9)?,
                        started: r.get(10)?,
                        finished: r.get(11)?,
                    },
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json, mut job) = row.map_err(db)?;
            job.genotype = serde_json::from_str(&json).map_err(|e| StoreError::Mismatch(format!("job {id}: {e}")))?;
            out.push(job);
        }
        Ok(out)
    }
}
