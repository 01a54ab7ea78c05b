//! One small interface over the two databases a search store can live in, so that the store
//! is written once: statements use `$1, $2, ...` placeholders (SQLite reads them as
//! parameters numbered in order of first appearance), `{ID}` and `{REAL}` for the two column
//! types the databases spell differently, and values pass as `V`.

use std::cell::RefCell;
use std::time::Duration;

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
    /// A null read back.
    Null,
}

pub enum Conn {
    Lite { conn: rusqlite::Connection, path: std::path::PathBuf },
    Pg { client: RefCell<postgres::Client>, url: String },
}

fn lite(e: rusqlite::Error) -> StoreError {
    StoreError::Unreachable(format!("store error: {e}"))
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError::Unreachable(format!("store error: {e}"))
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
            let conn = rusqlite::Connection::open(&path).map_err(|e| {
                StoreError::Unreachable(format!("cannot open the store {}: {e}", path.display()))
            })?;
            conn.busy_timeout(Duration::from_secs(30)).map_err(lite)?;
            // WAL: readers never block the writer; NORMAL sync is safe with WAL (a power cut can
            // lose the last commits, never corrupt the file).
            conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| {
                StoreError::Unreachable(format!(
                    "{} is not a usable SQLite store: {e}",
                    path.display()
                ))
            })?;
            conn.pragma_update(None, "synchronous", "NORMAL").map_err(lite)?;
            return Ok(Conn::Lite { conn, path });
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
            return Ok(Conn::Pg { client: RefCell::new(client), url: redact(url) });
        }
        Err(StoreError::Url(format!(
            "`{}` is not a store URL: use sqlite:PATH (one machine) or postgres://USER@HOST/DB (many)",
            redact(url)
        )))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Pg { .. })
    }

    /// Where the store is, for messages (passwords hidden).
    pub fn describe(&self) -> String {
        match self {
            Conn::Lite { path, .. } => path.display().to_string(),
            Conn::Pg { url, .. } => url.clone(),
        }
    }

    fn dialect(&self, sql: &str) -> String {
        match self {
            Conn::Lite { .. } => {
                sql.replace("{ID}", "INTEGER PRIMARY KEY").replace("{REAL}", "REAL")
            }
            Conn::Pg { .. } => sql
                .replace("{ID}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                .replace("{REAL}", "DOUBLE PRECISION"),
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub fn exec(&self, sql: &str, args: &[V]) -> Result<usize, StoreError> {
        let sql = self.dialect(sql);
        match self {
            Conn::Lite { conn, .. } => conn
                .execute(&sql, rusqlite::params_from_iter(args.iter().map(lite_value)))
                .map_err(lite),
            Conn::Pg { client, .. } => {
                let boxed = pg_values(args);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                client.borrow_mut().execute(sql.as_str(), &refs).map(|n| n as usize).map_err(pg)
            }
        }
    }

    /// Runs a query; its rows as values.
    pub fn query(&self, sql: &str, args: &[V]) -> Result<Vec<Vec<V>>, StoreError> {
        let sql = self.dialect(sql);
        match self {
            Conn::Lite { conn, .. } => {
                let mut st = conn.prepare(&sql).map_err(lite)?;
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
                                    _ => V::Null,
                                })
                            })
                            .collect::<Result<Vec<V>, rusqlite::Error>>()
                    })
                    .map_err(lite)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(lite)
            }
            Conn::Pg { client, .. } => {
                let boxed = pg_values(args);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let rows = client.borrow_mut().query(sql.as_str(), &refs).map_err(pg)?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// Runs `f` in one transaction (`immediate`: SQLite takes the write lock at once, so two
    /// claims never interleave); rolled back when `f` fails.
    pub fn transaction<T>(
        &self,
        immediate: bool,
        f: impl FnOnce(&Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let begin = match self {
            Conn::Lite { .. } if immediate => "BEGIN IMMEDIATE",
            _ => "BEGIN",
        };
        self.batch(begin)?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            Conn::Lite { conn, .. } => conn.execute_batch(sql).map_err(lite),
            Conn::Pg { client, .. } => client.borrow_mut().batch_execute(sql).map_err(pg),
        }
    }
}

fn lite_value(v: &V) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        V::Int(x) => Value::Integer(*x),
        V::Real(x) => Value::Real(*x),
        V::Text(s) => Value::Text(s.clone()),
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
            } else if t == Type::TEXT || t == Type::VARCHAR {
                r.try_get::<_, Option<String>>(i).map_err(pg)?.map_or(V::Null, V::Text)
            } else {
                V::Null
            };
            Ok(v)
        })
        .collect()
}
