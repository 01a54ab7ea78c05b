//! One small interface over the two databases a search store can live in, so that the store
//! is written once: statements use `$1, $2, ...` placeholders (SQLite reads them as
//! parameters numbered in order of first appearance), `{ID}` and `{REAL}` for the two column
//! types the databases spell differently, and values pass as `V`.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// How long a store operation is retried while the store is unreachable, by default
/// (`--store-timeout`).
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(300);

/// How long SQLite waits for another connection's lock before the operation is retried.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not one nasc knows (usage error).
    #[error("{0}")]
    Url(String),
    /// The store cannot be opened or used.
    #[error("{0}")]
    Unreachable(String),
    /// The store holds another schema version, or another search.
    #[error("{0}")]
    Mismatch(String),
    /// The connection failed: the server went away, the file is locked or unwritable. Each
    /// operation retries it (reconnecting, with backoff) until the store timeout.
    #[error("{0}")]
    Lost(String),
}

/// A value passed to or read from a statement. Nulls are typed: PostgreSQL checks a
/// parameter's type against its column even when it is null.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Int(i64),
    Real(f64),
    Text(String),
    NullInt,
    NullReal,
    NullText,
    /// Bytes (a checkpoint).
    Bytes(Vec<u8>),
    /// A null read back.
    Null,
}

/// A connection to the store that reconnects: an operation that fails because the store is
/// unreachable is retried with exponential backoff (saying so on stderr) until the store
/// timeout, so that a database restart or fail-over, or a briefly locked or unwritable file,
/// does not end a search.
pub struct Conn {
    link: Link,
    /// How long to keep retrying an unreachable store.
    timeout: Cell<Duration>,
    /// Open transactions (statements inside one are not retried alone: the transaction is).
    depth: Cell<u32>,
}

enum Link {
    Lite { conn: RefCell<rusqlite::Connection>, path: std::path::PathBuf },
    Pg { client: RefCell<postgres::Client>, config: Box<postgres::Config>, url: String },
}

fn lite(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    let transient = matches!(
        e.sqlite_error_code(),
        Some(
            C::DatabaseBusy
                | C::DatabaseLocked
                | C::ReadOnly
                | C::CannotOpen
                | C::SystemIoFailure
                | C::DiskFull
        )
    );
    let msg = format!("store error: {e}");
    if transient { StoreError::Lost(msg) } else { StoreError::Unreachable(msg) }
}

fn pg(e: postgres::Error) -> StoreError {
    // No database error: the connection (or the server) is gone. Class 08 is a connection
    // exception; 57P01-57P03 a server shutting down or starting; 40001 and 40P01 a
    // serialization failure or deadlock, which a retry resolves.
    let transient = match e.as_db_error() {
        None => true,
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08")
                || ["57P01", "57P02", "57P03", "40001", "40P01", "53300"].contains(&code)
        }
    };
    let msg = format!("store error: {e}");
    if transient { StoreError::Lost(msg) } else { StoreError::Unreachable(msg) }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db` for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Conn {
    /// Connects to `--store URL`: `sqlite:PATH` (created only when `create`) or
    /// `postgres://...` (the database must exist; the tables are created by the controller).
    pub fn open(url: &str, create: bool) -> Result<Conn, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err(StoreError::Url(
                    "--store sqlite:PATH needs a file path, e.g. sqlite:search.db".into(),
                ));
            }
            let path = std::path::PathBuf::from(path);
            if !create && !path.is_file() {
                return Err(StoreError::Unreachable(format!(
                    "no search store at {} (start one with `nasc search SPACE --store {url}`)",
                    path.display()
                )));
            }
            let conn = open_lite(&path)?;
            return Ok(Conn::new(Link::Lite { conn: RefCell::new(conn), path }));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut config: postgres::Config = url.parse().map_err(|e| {
                StoreError::Url(format!("`{}` is not a PostgreSQL URL: {e}", redact(url)))
            })?;
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(Duration::from_secs(10));
            }
            let client = config.connect(postgres::NoTls).map_err(|e| {
                StoreError::Unreachable(format!(
                    "cannot reach the PostgreSQL store {}: {e}",
                    redact(url)
                ))
            })?;
            let link = Link::Pg {
                client: RefCell::new(client),
                config: Box::new(config),
                url: redact(url),
            };
            return Ok(Conn::new(link));
        }
        Err(StoreError::Url(format!(
            "`{}` is not a store URL: use sqlite:PATH (one machine) or postgres://USER@HOST/DB (many)",
            redact(url)
        )))
    }

    fn new(link: Link) -> Conn {
        Conn { link, timeout: Cell::new(DEFAULT_STORE_TIMEOUT), depth: Cell::new(0) }
    }

    /// How long an operation keeps retrying an unreachable store (zero: it fails at once).
    pub fn set_timeout(&self, timeout: Duration) {
        self.timeout.set(timeout);
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.link, Link::Pg { .. })
    }

    /// Where the store is, for messages (passwords hidden).
    pub fn describe(&self) -> String {
        match &self.link {
            Link::Lite { path, .. } => path.display().to_string(),
            Link::Pg { url, .. } => url.clone(),
        }
    }

    /// Replaces the connection with a new one (after the old one was lost).
    fn reconnect(&self) -> Result<(), StoreError> {
        match &self.link {
            Link::Lite { conn, path } => *conn.borrow_mut() = open_lite(path)?,
            Link::Pg { client, config, .. } => {
                *client.borrow_mut() = config.connect(postgres::NoTls).map_err(pg)?
            }
        }
        Ok(())
    }

    /// Runs `f`, retrying it while the store is unreachable: reconnects, waits (0.2 s, then
    /// doubling up to 5 s) and tries again, until the store timeout has passed since the first
    /// failure. Inside a transaction `f` runs once (the transaction is what is retried).
    fn retry<T>(&self, mut f: impl FnMut(&Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.depth.get() > 0 {
            return f(self);
        }
        let mut lost: Option<Instant> = None;
        let mut wait = Duration::from_millis(200);
        loop {
            match f(self) {
                Err(StoreError::Lost(msg)) => {
                    let since = *lost.get_or_insert_with(Instant::now);
                    let (timeout, gone) = (self.timeout.get(), since.elapsed());
                    if gone >= timeout {
                        return Err(StoreError::Unreachable(format!(
                            "{msg} (the store {} was unreachable for {:.0} s; --store-timeout is {} s)",
                            self.describe(),
                            gone.as_secs_f64(),
                            timeout.as_secs()
                        )));
                    }
                    let pause = wait.min(timeout - gone);
                    eprintln!(
                        "nasc: store {} unreachable ({msg}); retrying in {:.1} s (giving up {:.0} s from now)",
                        self.describe(),
                        pause.as_secs_f64(),
                        (timeout - gone).as_secs_f64()
                    );
                    std::thread::sleep(pause);
                    wait = (wait * 2).min(Duration::from_secs(5));
                    // A failed reconnect shows in the next try (its connection is still lost).
                    let _ = self.reconnect();
                }
                Ok(v) => {
                    if let Some(since) = lost {
                        eprintln!(
                            "nasc: store {} reachable again after {:.1} s",
                            self.describe(),
                            since.elapsed().as_secs_f64()
                        );
                    }
                    return Ok(v);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn dialect(&self, sql: &str) -> String {
        match &self.link {
            Link::Lite { .. } => sql
                .replace("{ID}", "INTEGER PRIMARY KEY")
                .replace("{REAL}", "REAL")
                .replace("{BLOB}", "BLOB"),
            Link::Pg { .. } => sql
                .replace("{ID}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                .replace("{REAL}", "DOUBLE PRECISION")
                .replace("{BLOB}", "BYTEA"),
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub fn exec(&self, sql: &str, args: &[V]) -> Result<usize, StoreError> {
        let sql = self.dialect(sql);
        self.retry(|c| c.exec_once(&sql, args))
    }

    fn exec_once(&self, sql: &str, args: &[V]) -> Result<usize, StoreError> {
        match &self.link {
            Link::Lite { conn, .. } => conn
                .borrow()
                .execute(sql, rusqlite::params_from_iter(args.iter().map(lite_value)))
                .map_err(lite),
            Link::Pg { client, .. } => {
                let boxed = pg_values(args);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                client.borrow_mut().execute(sql, &refs).map(|n| n as usize).map_err(pg)
            }
        }
    }

    /// Runs a query; its rows as values.
    pub fn query(&self, sql: &str, args: &[V]) -> Result<Vec<Vec<V>>, StoreError> {
        let sql = self.dialect(sql);
        self.retry(|c| c.query_once(&sql, args))
    }

    fn query_once(&self, sql: &str, args: &[V]) -> Result<Vec<Vec<V>>, StoreError> {
        match &self.link {
            Link::Lite { conn, .. } => {
                let conn = conn.borrow();
                let mut st = conn.prepare(sql).map_err(lite)?;
                let n = st.column_count();
                let rows = st
                    .query_map(rusqlite::params_from_iter(args.iter().map(lite_value)), |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Integer(x) => V::Int(x),
                                    rusqlite::types::ValueRef::Real(x) => V::Real(x),
                                    rusqlite::types::ValueRef::Text(t) => {
                                        V::Text(String::from_utf8_lossy(t).into_owned())
                                    }
                                    rusqlite::types::ValueRef::Blob(b) => V::Bytes(b.to_vec()),
                                    _ => V::Null,
                                })
                            })
                            .collect::<Result<Vec<V>, rusqlite::Error>>()
                    })
                    .map_err(lite)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(lite)
            }
            Link::Pg { client, .. } => {
                let boxed = pg_values(args);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let rows = client.borrow_mut().query(sql, &refs).map_err(pg)?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// Runs `f` in one transaction (`immediate`: SQLite takes the write lock at once, so two
    /// claims never interleave); rolled back when `f` fails, and run again as a whole when
    /// the store was unreachable (every statement a transaction makes is idempotent or
    /// guarded: a queued genotype is keyed, a result is recorded only by the lease's attempt).
    pub fn transaction<T>(
        &self,
        immediate: bool,
        mut f: impl FnMut(&Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let begin = match self.link {
            Link::Lite { .. } if immediate => "BEGIN IMMEDIATE",
            _ => "BEGIN",
        };
        self.retry(|c| {
            c.batch(begin)?;
            c.depth.set(c.depth.get() + 1);
            let r = f(c);
            c.depth.set(c.depth.get() - 1);
            match r {
                Ok(v) => match c.batch("COMMIT") {
                    Ok(()) => Ok(v),
                    Err(e) => {
                        let _ = c.batch("ROLLBACK");
                        Err(e)
                    }
                },
                Err(e) => {
                    let _ = c.batch("ROLLBACK");
                    Err(e)
                }
            }
        })
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        match &self.link {
            Link::Lite { conn, .. } => conn.borrow().execute_batch(sql).map_err(lite),
            Link::Pg { client, .. } => client.borrow_mut().batch_execute(sql).map_err(pg),
        }
    }
}

/// Opens a SQLite store file: WAL (readers never block the writer; NORMAL sync is safe with
/// WAL: a power cut can lose the last commits, never corrupt the file) and a busy timeout.
fn open_lite(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open(path).map_err(|e| {
        StoreError::Unreachable(format!("cannot open the store {}: {e}", path.display()))
    })?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(lite)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| {
        StoreError::Unreachable(format!("{} is not a usable SQLite store: {e}", path.display()))
    })?;
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(lite)?;
    Ok(conn)
}

fn lite_value(v: &V) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        V::Int(x) => Value::Integer(*x),
        V::Real(x) => Value::Real(*x),
        V::Text(s) => Value::Text(s.clone()),
        V::Bytes(b) => Value::Blob(b.clone()),
        V::NullInt | V::NullReal | V::NullText | V::Null => Value::Null,
    }
}

fn pg_values(args: &[V]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    args.iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                V::Int(x) => Box::new(*x),
                V::Real(x) => Box::new(*x),
                V::Text(s) => Box::new(s.clone()),
                V::Bytes(b) => Box::new(b.clone()),
                V::NullInt => Box::new(None::<i64>),
                V::NullReal => Box::new(None::<f64>),
                V::NullText | V::Null => Box::new(None::<String>),
            }
        })
        .collect()
}

fn pg_row(r: &postgres::Row) -> Result<Vec<V>, StoreError> {
    use postgres::types::Type;
    (0..r.len())
        .map(|i| {
            let t = r.columns()[i].type_().clone();
            let v = if t == Type::INT8 {
                r.try_get::<_, Option<i64>>(i).map_err(pg)?.map_or(V::Null, V::Int)
            } else if t == Type::INT4 {
                r.try_get::<_, Option<i32>>(i).map_err(pg)?.map_or(V::Null, |x| V::Int(x as i64))
            } else if t == Type::FLOAT8 {
                r.try_get::<_, Option<f64>>(i).map_err(pg)?.map_or(V::Null, V::Real)
            } else if t == Type::BYTEA {
                r.try_get::<_, Option<Vec<u8>>>(i).map_err(pg)?.map_or(V::Null, V::Bytes)
            } else if t == Type::TEXT || t == Type::VARCHAR {
                r.try_get::<_, Option<String>>(i).map_err(pg)?.map_or(V::Null, V::Text)
            } else {
                V::Null
            };
            Ok(v)
        })
        .collect()
}
