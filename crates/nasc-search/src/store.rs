//! The store a search's controller and workers share: one `jobs` table that is both the
//! queue Q (state `queued`) and the result table M (`done` with a fitness), plus `meta` (the
//! schema version, the spec's source, the search configuration, counters) and `workers`.
//! One schema and the same SQL for both databases (`db`): SQLite, bundled, in WAL mode with
//! a busy timeout, so that many local worker processes write to one file without "database
//! is locked" failures; or PostgreSQL for workers on many machines, where a job is claimed
//! with `SELECT ... FOR UPDATE SKIP LOCKED`.
//!
//! Leases: a worker claims a job for `lease` seconds and renews it (heartbeats) while it
//! works; a job whose lease ran out (its worker was killed) is claimed again, and only the
//! holder of the current attempt can complete it — an evaluation counts exactly once.

pub use super::db::StoreError;
use super::db::{Conn, V};
use super::{Genotype, SearchConfig};

/// The schema this nasc reads and writes; a store of another version is refused, but for
/// version 1 (before multi-fidelity search), which is upgraded in place.
pub const SCHEMA_VERSION: i64 = 3;

/// A job lost with its worker this many times is marked failed instead of retried.
pub const MAX_ATTEMPTS: i64 = 3;

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Counts of jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub queued: usize,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
    /// Multi-fidelity: finished a rung below the top, not (yet) promoted.
    pub paused: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.queued + self.running + self.done + self.failed + self.paused
    }
    /// Evaluations that have ended (for multi-fidelity search, also those stopped at a lower
    /// rung, though a later promotion may continue one).
    pub fn finished(&self) -> usize {
        self.done + self.failed + self.paused
    }
}

/// A claimed job: what to evaluate, and the attempt that must complete it.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: i64,
    pub attempt: i64,
    pub genotype: Genotype,
    pub params: u64,
    /// Multi-fidelity: the job's bracket and the rung to train it to.
    pub bracket: usize,
    pub rung: usize,
}

/// What a worker reports for a rung.
#[derive(Debug, Clone)]
pub struct RungRecord {
    pub fitness: f64,
    pub epochs: usize,
    pub resumed_from: usize,
    /// The run directory to continue from (none for synthetic fitness).
    pub checkpoint: Option<Vec<u8>>,
}

/// One rung result of a job: the epochs trained so far, the fitness then, and the epoch its
/// training continued from (a promotion resumes the previous rung's checkpoint).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RungRow {
    pub job: i64,
    pub bracket: usize,
    pub rung: usize,
    pub epochs: usize,
    pub fitness: f64,
    pub resumed_from: usize,
    pub finished: f64,
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
    conn: Conn,
}

/// The schema, for both databases (`REAL` and `INTEGER` are spelled for each by `Conn`).
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS jobs (
        id {ID},
        key TEXT NOT NULL UNIQUE,
        genotype TEXT NOT NULL,
        parent BIGINT,
        params BIGINT NOT NULL,
        flops BIGINT NOT NULL,
        state TEXT NOT NULL,
        worker TEXT,
        attempt BIGINT NOT NULL DEFAULT 0,
        lease_until {REAL},
        fitness {REAL},
        error TEXT,
        created {REAL} NOT NULL,
        started {REAL},
        finished {REAL},
        bracket BIGINT NOT NULL DEFAULT 0,
        rung BIGINT NOT NULL DEFAULT 0,
        activations BIGINT NOT NULL DEFAULT 0,
        latency_ms {REAL},
        latency_batch_ms {REAL},
        machine TEXT)",
    "CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id)",
    "CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished)",
    "CREATE TABLE IF NOT EXISTS workers (name TEXT PRIMARY KEY, last_seen {REAL} NOT NULL)",
    RUNGS_TABLE,
    CHECKPOINTS_TABLE,
];

/// Multi-fidelity: each rung a job finished (learning curves; what promotions rank).
const RUNGS_TABLE: &str = "CREATE TABLE IF NOT EXISTS rungs (
    job BIGINT NOT NULL,
    rung BIGINT NOT NULL,
    bracket BIGINT NOT NULL,
    epochs BIGINT NOT NULL,
    fitness {REAL} NOT NULL,
    resumed_from BIGINT NOT NULL,
    finished {REAL} NOT NULL,
    PRIMARY KEY (job, rung))";

/// Multi-fidelity: the training checkpoint a job's last rung left, which its promotion
/// continues from (any worker, any machine: it is in the store).
const CHECKPOINTS_TABLE: &str = "CREATE TABLE IF NOT EXISTS checkpoints (
    job BIGINT PRIMARY KEY,
    rung BIGINT NOT NULL,
    data {BLOB} NOT NULL)";

fn text(v: &V) -> Option<String> {
    match v {
        V::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(v: &V) -> i64 {
    match v {
        V::Int(i) => *i,
        V::Real(x) => *x as i64,
        _ => 0,
    }
}

fn real(v: &V) -> Option<f64> {
    match v {
        V::Real(x) => Some(*x),
        V::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn opt_int(v: &V) -> Option<i64> {
    match v {
        V::Int(i) => Some(*i),
        _ => None,
    }
}

/// The columns `evaluated` reads, in its order.
const EVALUATED: &str =
    "id, genotype, fitness, params, flops, activations, latency_ms, latency_batch_ms, machine";

/// An evaluated job from a row of the `EVALUATED` columns.
fn evaluated(r: &[V]) -> Result<super::Evaluated, StoreError> {
    let id = int(&r[0]);
    let count = |v: &V| int(v).max(0) as u64;
    let latency = match (real(&r[6]), real(&r[7])) {
        (Some(single_ms), Some(batch_ms)) => {
            Some(super::Latency { single_ms, batch_ms, machine: text(&r[8]).unwrap_or_default() })
        }
        _ => None,
    };
    Ok(super::Evaluated {
        id,
        genotype: genotype(id, &r[1])?,
        fitness: real(&r[2]).unwrap_or(0.0),
        params: count(&r[3]),
        flops: count(&r[4]),
        activations: count(&r[5]),
        latency,
    })
}

fn genotype(id: i64, json: &V) -> Result<Genotype, StoreError> {
    serde_json::from_str(&text(json).unwrap_or_default())
        .map_err(|e| StoreError::Mismatch(format!("job {id} has an unreadable genotype: {e}")))
}

impl Store {
    /// How long an operation keeps retrying an unreachable store (reconnecting with backoff;
    /// 5 minutes unless set).
    pub fn set_timeout(&self, timeout: std::time::Duration) {
        self.conn.set_timeout(timeout);
    }

    /// Opens an existing store (workers, status): refused if missing or of another schema.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let s = Store { conn: Conn::open(url, false)? };
        s.upgrade()?;
        s.check_version()?;
        Ok(s)
    }

    /// Upgrades an older store in place: version 1 (before multi-fidelity) gets the jobs'
    /// bracket, rung and activations columns and the rung and checkpoint tables; versions 1
    /// and 2 get the latency columns. Whoever flips the version row first does it; the others
    /// wait on that row and find it done.
    fn upgrade(&self) -> Result<(), StoreError> {
        let from = match self.meta("schema_version").ok().flatten().as_deref() {
            Some("1") => 1,
            Some("2") => 2,
            _ => return Ok(()),
        };
        self.conn.transaction(true, |c| {
            let n = c.exec(
                "UPDATE meta SET value = $1 WHERE key = 'schema_version' AND value = $2",
                &[V::Text(SCHEMA_VERSION.to_string()), V::Text(from.to_string())],
            )?;
            if n != 1 {
                return Ok(());
            }
            let v2: &[&str] = &[
                "ALTER TABLE jobs ADD COLUMN bracket BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE jobs ADD COLUMN rung BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE jobs ADD COLUMN activations BIGINT NOT NULL DEFAULT 0",
                RUNGS_TABLE,
                CHECKPOINTS_TABLE,
            ];
            let v3: &[&str] = &[
                "ALTER TABLE jobs ADD COLUMN latency_ms {REAL}",
                "ALTER TABLE jobs ADD COLUMN latency_batch_ms {REAL}",
                "ALTER TABLE jobs ADD COLUMN machine TEXT",
            ];
            let steps = if from == 1 { [v2, v3].concat() } else { v3.to_vec() };
            for sql in steps {
                c.exec(sql, &[])?;
            }
            Ok(())
        })
    }

    /// Opens or creates the store of a search (the controller). A new store records the spec
    /// and configuration; an existing one must hold the same, and the search continues.
    pub fn create_or_resume(
        url: &str,
        source: &str,
        cfg: &SearchConfig,
    ) -> Result<(Store, bool), StoreError> {
        let s = Store { conn: Conn::open(url, true)? };
        for sql in SCHEMA {
            s.conn.exec(sql, &[])?;
        }
        let cfg_json =
            serde_json::to_string(cfg).map_err(|e| StoreError::Unreachable(e.to_string()))?;
        if s.meta("schema_version")?.is_some() {
            s.upgrade()?;
            s.check_version()?;
            let (old_src, old_cfg) =
                (s.meta("spec")?.unwrap_or_default(), s.meta("config")?.unwrap_or_default());
            // Compared as configurations (a store written before a setting existed holds
            // its default).
            let same_cfg = serde_json::from_str::<SearchConfig>(&old_cfg).is_ok_and(|c| c == *cfg);
            if old_src != source || !same_cfg {
                return Err(StoreError::Mismatch(format!(
                    "{} holds another search (a different spec or settings); continue it with the same command, or use a new --store",
                    s.conn.describe()
                )));
            }
            return Ok((s, true));
        }
        s.conn.transaction(true, |c| {
            for (k, v) in [("schema_version", SCHEMA_VERSION.to_string()), ("spec", source.to_string()), ("config", cfg_json.clone()), ("proposals", "0".into()), ("invalid", "0".into()), ("over_budget", "0".into()), ("duplicates", "0".into()), ("finished", "0".into())] {
                c.exec("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", &[V::Text(k.into()), V::Text(v)])?;
            }
            Ok(())
        })?;
        Ok((s, false))
    }

    /// Runs `f` as one transaction: the controller queues a batch of candidates with one
    /// commit (one disk flush) instead of several per candidate.
    pub fn batch<T>(
        &self,
        mut f: impl FnMut(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // Immediate: a deferred SQLite transaction that reads first cannot wait for the write
        // lock a worker holds ("database is locked"); taking it at BEGIN can.
        self.conn.transaction(true, |_| f(self))
    }

    fn check_version(&self) -> Result<(), StoreError> {
        let v = self.meta("schema_version").map_err(|_| {
            StoreError::Mismatch("the store is not a nasc search store (no schema version)".into())
        })?;
        match v.and_then(|v| v.parse::<i64>().ok()) {
            Some(SCHEMA_VERSION) => Ok(()),
            Some(other) => Err(StoreError::Mismatch(format!(
                "the store has schema version {other}; this nasc reads version {SCHEMA_VERSION}"
            ))),
            None => Err(StoreError::Mismatch(
                "the store is not a nasc search store (no schema version)".into(),
            )),
        }
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query("SELECT value FROM meta WHERE key = $1", &[V::Text(key.into())])?
            .first()
            .and_then(|r| text(&r[0])))
    }

    pub fn counter(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self.meta(key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    pub fn bump(&self, key: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = $1",
            &[V::Text(key.into())],
        )?;
        Ok(())
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.exec("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", &[V::Text(key.into()), V::Text(value.into())])?;
        Ok(())
    }

    /// The spec and configuration the search was started with.
    pub fn search(&self) -> Result<(String, SearchConfig), StoreError> {
        let src = self
            .meta("spec")?
            .ok_or_else(|| StoreError::Mismatch("the store has no spec".into()))?;
        let cfg = self
            .meta("config")?
            .ok_or_else(|| StoreError::Mismatch("the store has no configuration".into()))?;
        let cfg: SearchConfig = serde_json::from_str(&cfg).map_err(|e| {
            StoreError::Mismatch(format!("the store's configuration is unreadable: {e}"))
        })?;
        Ok((src, cfg))
    }

    /// Queues a candidate; `false` when the same genotype is already in the store.
    /// `slot`: the bracket and the rung the job starts at (multi-fidelity; else 0, 0).
    pub fn enqueue(
        &self,
        g: &Genotype,
        parent: Option<i64>,
        ch: &super::Checked,
        slot: (usize, usize),
    ) -> Result<bool, StoreError> {
        let (params, flops) = (ch.params, ch.flops);
        let json = serde_json::to_string(g).map_err(|e| StoreError::Unreachable(e.to_string()))?;
        let n = self.conn.exec(
            "INSERT INTO jobs (key, genotype, parent, params, flops, state, created, bracket, rung, activations) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING",
            &[V::Text(super::key(g)), V::Text(json), parent.map_or(V::NullInt, V::Int), V::Int(params.min(i64::MAX as u64) as i64), V::Int(flops.min(i64::MAX as u64) as i64), V::Real(now()), V::Int(slot.0 as i64), V::Int(slot.1 as i64), V::Int(ch.activations.min(i64::MAX as u64) as i64)],
        )?;
        Ok(n == 1)
    }

    pub fn counts(&self) -> Result<Counts, StoreError> {
        let mut c = Counts::default();
        for row in self.conn.query("SELECT state, COUNT(*) FROM jobs GROUP BY state", &[])? {
            let n = int(&row[1]).max(0) as usize;
            match text(&row[0]).as_deref() {
                Some("queued") => c.queued = n,
                Some("running") => c.running = n,
                Some("done") => c.done = n,
                Some("paused") => c.paused = n,
                _ => c.failed += n,
            }
        }
        Ok(c)
    }

    /// Claims the oldest queued job, or one whose lease ran out (its worker died), for
    /// `lease` seconds. A job already lost `MAX_ATTEMPTS` times is marked failed instead.
    pub fn claim(&self, worker: &str, lease: f64) -> Result<Option<Claim>, StoreError> {
        let t = now();
        let row = self.conn.transaction(true, |c| {
            // Workers announce themselves on every claim: the controller sizes the queue by them.
            c.exec("INSERT INTO workers (name, last_seen) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen", &[V::Text(worker.into()), V::Real(t)])?;
            c.exec(
                "UPDATE jobs SET state = 'failed', error = 'its worker was lost ' || attempt || ' times (killed, or out of memory?)', finished = $1
                 WHERE state = 'running' AND lease_until < $1 AND attempt >= $2",
                &[V::Real(t), V::Int(MAX_ATTEMPTS)],
            )?;
            // Jobs whose worker died first (they are older), then the queue; each query an
            // index range of `jobs_state`, never a scan of the whole table.
            let lock = if c.is_postgres() { " FOR UPDATE SKIP LOCKED" } else { "" };
            let expired = format!("SELECT id, attempt, genotype, params, bracket, rung FROM jobs WHERE state = 'running' AND lease_until < $1 ORDER BY id LIMIT 1{lock}");
            let mut row = c.query(&expired, &[V::Real(t)])?.into_iter().next();
            if row.is_none() {
                row = c.query(&format!("SELECT id, attempt, genotype, params, bracket, rung FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1{lock}"), &[])?.into_iter().next();
            }
            let Some(row) = row else { return Ok(None) };
            let (id, attempt) = (int(&row[0]), int(&row[1]));
            c.exec("UPDATE jobs SET state = 'running', worker = $1, attempt = $2, lease_until = $3, started = $4 WHERE id = $5", &[V::Text(worker.into()), V::Int(attempt + 1), V::Real(t + lease), V::Real(t), V::Int(id)])?;
            Ok(Some(row))
        })?;
        let Some(row) = row else { return Ok(None) };
        let id = int(&row[0]);
        Ok(Some(Claim {
            id,
            attempt: int(&row[1]) + 1,
            genotype: genotype(id, &row[2])?,
            params: int(&row[3]).max(0) as u64,
            bracket: int(&row[4]).max(0) as usize,
            rung: int(&row[5]).max(0) as usize,
        }))
    }

    /// Renews a lease; `false` when the job is no longer this attempt's.
    pub fn heartbeat(&self, c: &Claim, lease: f64) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND attempt = $3 AND rung = $4 AND state = 'running'",
            &[V::Real(now() + lease), V::Int(c.id), V::Int(c.attempt), V::Int(c.rung as i64)],
        )?;
        Ok(n == 1)
    }

    /// Records the inference latency a worker measured for its claimed job (before its
    /// result, so that a strategy never sees the result without it). `false` when the lease
    /// was lost meanwhile.
    pub fn record_latency(&self, c: &Claim, l: &super::Latency) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE jobs SET latency_ms = $1, latency_batch_ms = $2, machine = $3 WHERE id = $4 AND attempt = $5 AND rung = $6 AND state = 'running'",
            &[V::Real(l.single_ms), V::Real(l.batch_ms), V::Text(l.machine.clone()), V::Int(c.id), V::Int(c.attempt), V::Int(c.rung as i64)],
        )?;
        Ok(n == 1)
    }

    /// Whether a job's latency is recorded already (a multi-fidelity job measures it once).
    pub fn has_latency(&self, job: i64) -> Result<bool, StoreError> {
        let rows = self.conn.query(
            "SELECT COUNT(*) FROM jobs WHERE id = $1 AND latency_ms IS NOT NULL",
            &[V::Int(job)],
        )?;
        Ok(rows.first().is_some_and(|r| int(&r[0]) > 0))
    }

    /// Records the result of an attempt (a fitness, or a failure, stored as its message).
    /// `false` when the lease was lost meanwhile and another attempt owns the job (the result
    /// is dropped).
    pub fn complete<E: std::fmt::Display>(
        &self,
        c: &Claim,
        result: &Result<f64, E>,
    ) -> Result<bool, StoreError> {
        let (state, fitness, error) = match result {
            Ok(f) => ("done", V::Real(*f), V::NullText),
            Err(e) => ("failed", V::NullReal, V::Text(e.to_string())),
        };
        let n = self.conn.exec(
            "UPDATE jobs SET state = $1, fitness = $2, error = $3, finished = $4, lease_until = NULL WHERE id = $5 AND attempt = $6 AND rung = $7 AND state = 'running'",
            &[V::Text(state.into()), fitness, error, V::Real(now()), V::Int(c.id), V::Int(c.attempt), V::Int(c.rung as i64)],
        )?;
        Ok(n == 1)
    }

    /// Multi-fidelity: records a rung of an attempt — its fitness after `epochs`, the
    /// checkpoint to continue from — and leaves the job `paused` for the scheduler (`done` at
    /// the top rung), in one transaction. `false` when the lease was lost meanwhile.
    pub fn complete_rung(&self, c: &Claim, r: &RungRecord, top: bool) -> Result<bool, StoreError> {
        let t = now();
        self.conn.transaction(true, |db| {
            let state = if top { "done" } else { "paused" };
            let n = db.exec(
                "UPDATE jobs SET state = $1, fitness = $2, error = NULL, finished = $3, lease_until = NULL WHERE id = $4 AND attempt = $5 AND rung = $6 AND state = 'running'",
                &[V::Text(state.into()), V::Real(r.fitness), V::Real(t), V::Int(c.id), V::Int(c.attempt), V::Int(c.rung as i64)],
            )?;
            if n != 1 {
                return Ok(false);
            }
            db.exec(
                "INSERT INTO rungs (job, rung, bracket, epochs, fitness, resumed_from, finished) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job, rung) DO NOTHING",
                &[V::Int(c.id), V::Int(c.rung as i64), V::Int(c.bracket as i64), V::Int(r.epochs as i64), V::Real(r.fitness), V::Int(r.resumed_from as i64), V::Real(t)],
            )?;
            match (&r.checkpoint, top) {
                (Some(data), false) => {
                    db.exec(
                        "INSERT INTO checkpoints (job, rung, data) VALUES ($1, $2, $3) ON CONFLICT (job) DO UPDATE SET rung = excluded.rung, data = excluded.data",
                        &[V::Int(c.id), V::Int(c.rung as i64), V::Bytes(data.clone())],
                    )?;
                }
                // The top rung needs no checkpoint: nothing continues it.
                _ => {
                    db.exec("DELETE FROM checkpoints WHERE job = $1", &[V::Int(c.id)])?;
                }
            }
            Ok(true)
        })
    }

    /// The checkpoint a job's last finished rung left (its rung and the bytes).
    pub fn checkpoint(&self, job: i64) -> Result<Option<(usize, Vec<u8>)>, StoreError> {
        let rows =
            self.conn.query("SELECT rung, data FROM checkpoints WHERE job = $1", &[V::Int(job)])?;
        Ok(rows.into_iter().next().and_then(|r| match (&r[0], r.get(1)) {
            (rung, Some(V::Bytes(b))) => Some((int(rung).max(0) as usize, b.clone())),
            _ => None,
        }))
    }

    /// Promotes a paused job to `rung` (queued again, a fresh attempt count); `false` when it
    /// is no longer waiting there.
    pub fn promote(&self, job: i64, rung: usize) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE jobs SET state = 'queued', rung = $1, attempt = 0 WHERE id = $2 AND state = 'paused' AND rung = $3",
            &[V::Int(rung as i64), V::Int(job), V::Int(rung as i64 - 1)],
        )?;
        Ok(n == 1)
    }

    /// Drops every checkpoint (the search is over: no promotion will continue one).
    pub fn drop_checkpoints(&self) -> Result<usize, StoreError> {
        self.conn.exec("DELETE FROM checkpoints", &[])
    }

    /// Every rung result, in the order they finished.
    pub fn rung_rows(&self) -> Result<Vec<RungRow>, StoreError> {
        let rows = self.conn.query("SELECT job, bracket, rung, epochs, fitness, resumed_from, finished FROM rungs ORDER BY finished, job, rung", &[])?;
        Ok(rows
            .iter()
            .map(|r| RungRow {
                job: int(&r[0]),
                bracket: int(&r[1]).max(0) as usize,
                rung: int(&r[2]).max(0) as usize,
                epochs: int(&r[3]).max(0) as usize,
                fitness: real(&r[4]).unwrap_or(0.0),
                resumed_from: int(&r[5]).max(0) as usize,
                finished: real(&r[6]).unwrap_or(0.0),
            })
            .collect())
    }

    /// Every job's bracket, rung and stage, as the scheduler sees them.
    pub fn job_rungs(&self) -> Result<Vec<crate::fidelity::JobRung>, StoreError> {
        use crate::fidelity::{JobRung, Stage};
        let rows = self.conn.query("SELECT id, bracket, rung, state FROM jobs ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .map(|r| JobRung {
                job: int(&r[0]),
                bracket: int(&r[1]).max(0) as usize,
                rung: int(&r[2]).max(0) as usize,
                stage: match text(&r[3]).as_deref() {
                    Some("queued" | "running") => Stage::Pending,
                    Some("paused") => Stage::Paused,
                    _ => Stage::Over,
                },
            })
            .collect())
    }

    /// The best evaluated genotype: for multi-fidelity search the fittest of those trained to
    /// the top rung (rungs below rank only as a fallback, highest rung first), else the fittest.
    pub fn best(&self) -> Result<Option<super::Evaluated>, StoreError> {
        let rows = self.conn.query(&format!("SELECT {EVALUATED} FROM jobs WHERE state IN ('done', 'paused') AND fitness IS NOT NULL ORDER BY CASE WHEN state = 'done' THEN 1 ELSE 0 END DESC, rung DESC, fitness DESC, id LIMIT 1"), &[])?;
        rows.first().map(|r| evaluated(r)).transpose()
    }

    /// The genotypes that finished their evaluation — for multi-fidelity search, those
    /// trained to the top rung — in id order: what a Pareto front is drawn from.
    pub fn finals(&self) -> Result<Vec<super::Evaluated>, StoreError> {
        let rows = self.conn.query(&format!("SELECT {EVALUATED} FROM jobs WHERE state = 'done' AND fitness IS NOT NULL ORDER BY id"), &[])?;
        rows.iter().map(|r| evaluated(r)).collect()
    }

    /// Evaluated genotypes in the order they finished (the strategies' view).
    pub fn evaluated(&self) -> Result<Vec<super::Evaluated>, StoreError> {
        Ok(self.evaluated_since(f64::MIN)?.into_iter().map(|(e, _)| e).collect())
    }

    /// Genotypes evaluated at or after `t` (seconds), in finishing order, with their finishing
    /// times: the controller reads only what is new since its last look.
    pub fn evaluated_since(&self, t: f64) -> Result<Vec<(super::Evaluated, f64)>, StoreError> {
        let rows = self.conn.query(&format!("SELECT {EVALUATED}, finished FROM jobs WHERE state IN ('done', 'paused') AND finished >= $1 ORDER BY finished, id"), &[V::Real(t)])?;
        rows.iter().map(|r| Ok((evaluated(r)?, real(&r[9]).unwrap_or(0.0)))).collect()
    }

    /// Workers that claimed or asked for a job in the last `secs` seconds.
    pub fn active_workers(&self, secs: f64) -> Result<usize, StoreError> {
        let rows = self.conn.query(
            "SELECT COUNT(*) FROM workers WHERE last_seen >= $1",
            &[V::Real(now() - secs)],
        )?;
        Ok(rows.first().map_or(0, |r| int(&r[0]).max(0) as usize))
    }

    /// Every job, by id.
    pub fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let rows = self.conn.query("SELECT id, genotype, parent, params, flops, state, worker, attempt, fitness, error, started, finished FROM jobs ORDER BY id", &[])?;
        rows.iter()
            .map(|r| {
                let id = int(&r[0]);
                Ok(Job {
                    id,
                    genotype: genotype(id, &r[1])?,
                    parent: opt_int(&r[2]),
                    params: int(&r[3]).max(0) as u64,
                    flops: int(&r[4]).max(0) as u64,
                    state: text(&r[5]).unwrap_or_default(),
                    worker: text(&r[6]),
                    attempt: int(&r[7]),
                    fitness: real(&r[8]),
                    error: text(&r[9]),
                    started: real(&r[10]),
                    finished: real(&r[11]),
                })
            })
            .collect()
    }
}
