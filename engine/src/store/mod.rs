//! The SQLite store: one database file holds the master data, payment lines and status logs of
//! one or more companies.
//!
//! Every connection is set up the same way, never relying on SQLite's defaults
//! (`reliability.md`): `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON` and a busy
//! timeout of [`BUSY_TIMEOUT`]. The schema is versioned in `PRAGMA user_version` and brought up
//! to date by [`schema::MIGRATIONS`] when the store is opened.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction, so it is all or nothing (I10) and a second
//! writer waits for the first instead of failing half-way. Every function takes the company it
//! works in and every query is scoped by it (I11). Values are always bound parameters.

mod alongside;
mod batch;
mod codec;
pub(crate) use codec::{get_id, get_optional_id};
pub(crate) use exchange::file_status_after_fix;
mod exchange;
mod import;
mod lines;
mod master;
mod packed;
pub mod schema;
mod status_log;
#[cfg(test)]
pub(crate) mod testing;

pub use lines::{LineFilter, NewLineRow};

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a connection waits for another writer before giving up with [`Error::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest company id.
pub const MAX_COMPANY_ID_CHARS: usize = 30;

/// The id of the company `payrun init` creates when none is named.
pub const DEFAULT_COMPANY: &str = "main";

/// An open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Inside [`Store::atomically`]: a write that joined the transaction ended without being
    /// committed (its error was returned), so the transaction must not commit.
    part_failed: std::cell::Cell<bool>,
    /// Inside [`Store::atomically`]: the connection's `total_changes` at `BEGIN IMMEDIATE`
    /// (see [`Store::nothing_written_yet`]).
    atomic_since: std::cell::Cell<Option<u64>>,
    /// The thread of [`Store::checkpoint_behind`], while it may run.
    checkpointer: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Drop for Store {
    /// A checkpoint of [`Store::checkpoint_behind`] still running is waited for: the
    /// connection's close checkpoints what is left.
    fn drop(&mut self) {
        if let Some(handle) = self.checkpointer.take() {
            // Its failure, or its panic, is the next checkpoint's to mend; a drop must not
            // panic.
            let _ = handle.join();
        }
    }
}

/// SQLite's default `wal_autocheckpoint`: a commit that leaves this many pages or more in
/// the WAL checkpoints it.
const WAL_AUTOCHECKPOINT: i64 = 1000;

/// A company of this database, as resolved by [`Store::resolve_company`] or created by
/// [`Store::create_company`]. Every store function that reads or writes company data takes
/// one, and touches only that company's rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyKey {
    key: i64,
    id: String,
}

impl CompanyKey {
    /// The company id, e.g. `main`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A company (creditor) as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Company {
    pub id: String,
    pub name: String,
}

impl Store {
    /// Opens the database at `path`, creating it (readable by its owner only, mode 0600) when
    /// it does not exist, and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        create_private_file(&path)?;
        let mut conn = open_writer(&path)?;
        migrate(&mut conn, &path)?;
        Ok(Store {
            conn,
            path,
            part_failed: std::cell::Cell::new(false),
            atomic_since: std::cell::Cell::new(None),
            checkpointer: None,
        })
    }

    /// Checkpoints the WAL on a second thread, through a connection of its own, while this
    /// one goes on (the next of several imports): from now on this connection's commits
    /// leave the checkpoint to such a thread, until [`Store::checkpoint_here`]. A
    /// checkpoint copies committed pages from the WAL into the database file; every commit
    /// is in the WAL, synced, before it returns, so a checkpoint that fails (it is only
    /// logged) loses nothing: the next one, or the connection's close, does its work.
    pub fn checkpoint_behind(&mut self) -> Result<()> {
        self.join_checkpointer();
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let Some(path) = self.file_for_reader() else {
            return Ok(());
        };
        self.checkpointer = Some(std::thread::spawn(move || checkpoint(&open_writer(&path)?)));
        Ok(())
    }

    /// Waits for the checkpoint of [`Store::checkpoint_behind`], and checkpoints at each
    /// commit again, starting with what was committed since.
    pub fn checkpoint_here(&mut self) -> Result<()> {
        self.join_checkpointer();
        self.conn
            .pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT)?;
        if let Err(error) = checkpoint(&self.conn) {
            tracing::warn!(%error, "checkpoint failed; the next one does its work");
        }
        Ok(())
    }

    /// Waits for the thread of [`Store::checkpoint_behind`], if one runs, and logs its
    /// failure.
    fn join_checkpointer(&mut self) {
        let Some(handle) = self.checkpointer.take() else {
            return;
        };
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "checkpoint failed; the next one does its work");
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for read-only checks (`verify`) that look across companies.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The schema version (`PRAGMA user_version`): the number of migrations applied.
    pub fn schema_version(&self) -> Result<u32> {
        user_version(&self.conn)
    }

    /// Adds a company. Its id is 1 to 30 letters, digits, `-` or `_`; an id already in the
    /// database is refused with [`Error::CompanyExists`].
    pub fn create_company(&mut self, id: &str, name: &str) -> Result<CompanyKey> {
        let id_ok = !id.is_empty()
            && id.len() <= MAX_COMPANY_ID_CHARS
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(Error::InvalidCompanyId(id.to_string()));
        }
        let tx = self.write()?;
        let exists = tx
            .query_row("SELECT 1 FROM companies WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            return Err(Error::CompanyExists(id.to_string()));
        }
        tx.execute(
            "INSERT INTO companies (id, name) VALUES (?1, ?2)",
            (id, name),
        )?;
        let key = tx.last_insert_rowid();
        tx.commit()?;
        tracing::info!(company = id, "company created");
        Ok(CompanyKey {
            key,
            id: id.to_string(),
        })
    }

    /// The companies of this database, by id.
    pub fn companies(&self) -> Result<Vec<Company>> {
        let mut statement = self
            .conn
            .prepare("SELECT id, name FROM companies ORDER BY id")?;
        let companies = statement
            .query_map([], |row| {
                Ok(Company {
                    id: row.get(0)?,
                    name: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(companies)
    }

    /// The company a command works in: the one named, which must exist; or, when none is
    /// named, the only one in the database ([`Error::CompanyRequired`] when there are several,
    /// [`Error::NoCompany`] when there is none).
    pub fn resolve_company(&self, id: Option<&str>) -> Result<CompanyKey> {
        if let Some(id) = id {
            return self
                .conn
                .query_row("SELECT key FROM companies WHERE id = ?1", [id], |row| {
                    row.get(0)
                })
                .optional()?
                .map(|key| CompanyKey {
                    key,
                    id: id.to_string(),
                })
                .ok_or_else(|| Error::UnknownCompany(id.to_string()));
        }
        let mut statement = self
            .conn
            .prepare("SELECT key, id FROM companies ORDER BY id")?;
        let mut companies: Vec<CompanyKey> = statement
            .query_map([], |row| {
                Ok(CompanyKey {
                    key: row.get(0)?,
                    id: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        match companies.len() {
            0 => Err(Error::NoCompany),
            1 => Ok(companies.remove(0)),
            _ => Err(Error::CompanyRequired {
                companies: companies.into_iter().map(|c| c.id).collect(),
            }),
        }
    }

    /// Begins a write transaction. `IMMEDIATE` takes the write lock now, so two writers never
    /// both read and then collide on the upgrade to a write lock.
    ///
    /// Inside [`Store::atomically`] the write joins the transaction already open, without a
    /// savepoint: a savepoint makes SQLite keep the original of every page the write changes
    /// until it is released, in memory (`temp_store=MEMORY`), which for collect at a million
    /// lines was 272 MB. A joined write that fails instead marks the transaction, and
    /// `atomically` rolls all of it back.
    fn write(&mut self) -> Result<Scope<'_>> {
        if self.conn.is_autocommit() {
            Ok(Scope::Transaction(self.conn.transaction_with_behavior(
                TransactionBehavior::Immediate,
            )?))
        } else {
            Ok(Scope::Part(Part {
                conn: &self.conn,
                failed: &self.part_failed,
                committed: false,
            }))
        }
    }

    /// Runs `work` with SQLite's page cache at [`CORE_CACHE_KIB`] instead of
    /// [`CACHE_KIB`], then gives the cache its size back. The core steps (suggest, validate,
    /// collect) and export read the run once and write it back in key order, so the bigger
    /// cache only holds pages that are not read again: at a million lines the small one gave
    /// the same instructions and about 50 MB less peak memory. The imports keep the big one:
    /// their index updates land all over the indexes, and import delivery took 16 % more CPU
    /// with 16 MB.
    pub fn with_core_cache<T>(&mut self, work: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.conn
            .pragma_update(None, "cache_size", -i64::from(CORE_CACHE_KIB))?;
        let outcome = work(self);
        let restored = self
            .conn
            .pragma_update(None, "cache_size", -i64::from(CACHE_KIB));
        let value = outcome?;
        restored?;
        Ok(value)
    }

    /// Runs `work` in one `IMMEDIATE` write transaction: the primitives it calls join it, so a
    /// step that reads, decides and writes — suggest, collect, a status change, an export — is
    /// applied whole or not at all, and no other process writes in between. An error from
    /// `work` rolls everything back, and so does an error of a primitive that `work` did not
    /// return: the primitives have no savepoints of their own, so part of a failed one may
    /// have been written ([`Error::PartFailed`]).
    pub fn atomically<T>(&mut self, work: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return work(self);
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.part_failed.set(false);
        self.atomic_since.set(Some(self.conn.total_changes()));
        let outcome = match work(self) {
            Ok(_) if self.part_failed.get() => Err(Error::PartFailed),
            outcome => outcome,
        };
        self.atomic_since.set(None);
        self.part_failed.set(false);
        match outcome {
            Ok(value) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(error) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(error.into())
                }
            },
            Err(error) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(error)
            }
        }
    }

    /// The database file as SQLite resolved it when it was opened (an absolute path): where a
    /// second connection must read, even if the process's working directory changed since a
    /// relative path was given. `None` for a database without a file.
    fn file_for_reader(&self) -> Option<PathBuf> {
        self.conn
            .path()
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
    }

    /// The file a second connection may read the run's lines from ([`Store::run_data_in`]),
    /// or `None` when it would not read what this one reads. It does when the transaction
    /// the caller's next statement runs in holds the write lock (no other connection can
    /// commit) and has written nothing: one the caller begins with the write lock
    /// (`begins_write_transaction`), or that of [`Store::atomically`] before its first write.
    fn file_to_read_alongside(&self, begins_write_transaction: bool) -> Option<PathBuf> {
        if begins_write_transaction || self.nothing_written_yet() {
            self.file_for_reader()
        } else {
            None
        }
    }

    /// Whether this connection is inside [`Store::atomically`] (so it holds the write lock:
    /// no other connection can commit) and has changed no row since it began: a connection
    /// opened now reads what this one reads.
    fn nothing_written_yet(&self) -> bool {
        self.atomic_since.get() == Some(self.conn.total_changes())
    }

    /// Begins a read transaction: every query in it sees the same snapshot of the database.
    fn read(&self) -> Result<Scope<'_>> {
        if self.conn.is_autocommit() {
            Ok(Scope::Transaction(self.conn.unchecked_transaction()?))
        } else {
            // Inside `atomically`: the surrounding transaction already gives one snapshot.
            Ok(Scope::Joined(&self.conn))
        }
    }
}

/// Where a primitive's statements run: a transaction of its own, or a part of the
/// transaction that [`Store::atomically`] began.
pub(crate) enum Scope<'a> {
    Transaction(Transaction<'a>),
    /// A write inside the transaction [`Store::atomically`] began.
    Part(Part<'a>),
    /// A read inside it.
    Joined(&'a Connection),
}

/// A write that joined the transaction of [`Store::atomically`]. Dropped without
/// [`Scope::commit`] (its primitive returned an error), it marks the transaction as failed.
pub(crate) struct Part<'a> {
    conn: &'a Connection,
    failed: &'a std::cell::Cell<bool>,
    committed: bool,
}

impl Drop for Part<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.failed.set(true);
        }
    }
}

impl Scope<'_> {
    /// Commits a transaction of its own, or marks a joined write as done (the caller's
    /// transaction commits or rolls back as a whole).
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Scope::Transaction(tx) => tx.commit(),
            Scope::Part(mut part) => {
                part.committed = true;
                Ok(())
            }
            Scope::Joined(_) => Ok(()),
        }
    }
}

impl std::ops::Deref for Scope<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Scope::Transaction(tx) => tx,
            Scope::Part(part) => part.conn,
            Scope::Joined(conn) => conn,
        }
    }
}

/// The statement in `slot`, prepared first from the text `sql` makes when there is none: a
/// step that runs one statement many times (a batch of a hundred rows, a lookup per record)
/// builds and prepares its text once, and does not hand it to the statement cache each time.
fn held<'s, 'a, S: AsRef<str>>(
    slot: &'s mut Option<rusqlite::Statement<'a>>,
    tx: &'a Connection,
    sql: impl FnOnce() -> S,
) -> Result<&'s mut rusqlite::Statement<'a>> {
    if slot.is_none() {
        *slot = Some(tx.prepare(sql().as_ref())?);
    }
    slot.as_mut()
        .ok_or_else(|| Error::Corrupt("statement not prepared".into()))
}

/// How many companies the database holds: with one, a step reads a table in id order
/// instead of through an index by company (see its callers).
fn company_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM companies", [], |row| row.get(0))?)
}

/// A statement broke a foreign key. Callers know which key it can be and say so.
fn is_foreign_key_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}

/// Creates the database file with mode 0600 before SQLite opens it, so it is never readable
/// by others, not even for a moment. An existing file is left as it is.
fn create_private_file(path: &Path) -> Result<()> {
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => {
            tracing::info!(path = %path.display(), "database created");
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// SQLite's page cache per connection, in KiB.
pub const CACHE_KIB: u32 = 64 * 1024;

/// The page cache of the core steps and export, in KiB ([`Store::with_core_cache`]).
pub const CORE_CACHE_KIB: u32 = 16 * 1024;

/// The page size of a new database, in bytes (SQLite's default is 4,096). A run step reads and
/// writes whole tables, so bigger pages mean half as many pages to find, cache and write to
/// the log: at 100,000 entries 1-3 % fewer instructions in every step. It takes effect only
/// when the database is created: SQLite keeps the size of an existing database, so one made
/// before keeps 4,096-byte pages and works as it did.
pub const PAGE_SIZE: u32 = 8192;

/// The page cache of a connection that reads one table beside a step's own
/// ([`open_reader`]), in KiB: it reads the table once, in order, so a big cache would only
/// add to the step's peak.
pub const READER_CACHE_KIB: u32 = 2 * 1024;

/// A read-only connection to the database at `path`, with the settings of every connection
/// and a small page cache ([`READER_CACHE_KIB`]): for reading a table on a second thread.
fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, path)?;
    conn.pragma_update(None, "cache_size", -i64::from(READER_CACHE_KIB))?;
    Ok(conn)
}

/// A read-write connection to the database file at `path`, with the settings of every
/// connection.
fn open_writer(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, path)?;
    Ok(conn)
}

/// Copies what was committed from the WAL into the database file, as far as no reader
/// needs it (`PASSIVE`: it waits for no other connection).
fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

/// Runs `read` in one read transaction of a connection of its own ([`open_reader`]) to the
/// database at `path`: a step's reading on a second thread, beside its own connection.
fn read_alongside<T>(path: &Path, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let conn = open_reader(path)?;
    let tx = conn.unchecked_transaction()?;
    let value = read(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// The settings of `reliability.md`, on every connection.
fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Before the first page is written, i.e. before `journal_mode` below on a new file.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Unsupported(format!(
            "database '{}' cannot use write-ahead logging (journal mode stays '{mode}'): put it on a local file system",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -i64::from(CACHE_KIB))?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

fn user_version(conn: &Connection) -> Result<u32> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    u32::try_from(version)
        .map_err(|_| Error::Corrupt(format!("schema version {version} is not a version")))
}

/// Applies the migrations the database has not had yet, each in its own `IMMEDIATE`
/// transaction that also sets `user_version`. The version is read again inside the
/// transaction, so two processes opening a new database at once apply each migration once.
///
/// An up-to-date database is recognised by a plain read first: taking the write lock to find
/// that out would make every reader (`list`, `show`, `verify`…) wait behind a long import or
/// export and fail with [`Error::Busy`] after [`BUSY_TIMEOUT`].
///
/// Foreign keys are off while migrations run (a table is rebuilt by dropping the old one,
/// which other tables' keys point at: SQLite's ALTER TABLE documentation) and each migration
/// checks them (`PRAGMA foreign_key_check`) before it commits; they are on again after.
fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let known = u32::try_from(schema::MIGRATIONS.len()).unwrap_or(u32::MAX);
    if user_version(conn)? == known {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", false)?;
    let migrated = apply_migrations(conn, path, known);
    conn.pragma_update(None, "foreign_keys", true)?;
    migrated
}

/// The loop of [`migrate`], with foreign keys off.
fn apply_migrations(conn: &mut Connection, path: &Path, known: u32) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = user_version(&tx)?;
        if version > known {
            return Err(Error::SchemaTooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        if version == known {
            return Ok(());
        }
        let next = version + 1;
        let sql = schema::MIGRATIONS[version as usize];
        tx.execute_batch(sql)?;
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
            .optional()?;
        if let Some(table) = broken {
            return Err(Error::Corrupt(format!(
                "migration {next} leaves rows of {table} pointing at missing rows"
            )));
        }
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
        tracing::info!(version = next, "database migrated");
    }
}

#[cfg(test)]
mod tests {
    use super::testing::TempDir;
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn pragma(store: &Store, name: &str) -> String {
        pragma_of(&store.conn, name)
    }

    fn pragma_of(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| {
            row.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
    }

    #[test]
    fn every_connection_has_the_reliability_settings() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        for _ in 0..2 {
            let store = Store::open(&path).unwrap();
            assert_eq!(pragma(&store, "journal_mode"), "wal");
            assert_eq!(pragma(&store, "synchronous"), "2");
            assert_eq!(pragma(&store, "foreign_keys"), "1");
            assert_eq!(pragma(&store, "busy_timeout"), "5000");
            assert_eq!(
                store.schema_version().unwrap() as usize,
                schema::MIGRATIONS.len()
            );
        }
    }

    /// Several write transactions with their checkpoints behind (`import delivery` of
    /// several files): the commits leave the WAL to the second thread, and once back at
    /// `checkpoint_here` the database file alone holds every commit (a copy of it without
    /// its WAL, as a person might take for a backup, has them all).
    #[test]
    fn checkpoints_behind_end_with_everything_in_the_database_file() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        let mut store = Store::open(&path).unwrap();
        store.checkpoint_behind().unwrap();
        assert_eq!(pragma(&store, "wal_autocheckpoint"), "0");
        for name in ["a", "b", "c"] {
            super::testing::seed_company(&mut store, name);
            store.checkpoint_behind().unwrap();
        }
        // Committed after the last checkpoint behind: checkpointed by `checkpoint_here`.
        super::testing::seed_company(&mut store, "d");
        store.checkpoint_here().unwrap();
        assert_eq!(
            pragma(&store, "wal_autocheckpoint"),
            WAL_AUTOCHECKPOINT.to_string()
        );
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        let companies: Vec<String> = Connection::open(&copy)
            .unwrap()
            .prepare("SELECT id FROM companies ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(companies, ["a", "b", "c", "d"]);
    }

    /// The connection that reads the lines beside a step's: the same settings, a small cache,
    /// and no writing.
    #[test]
    fn a_reader_has_the_reliability_settings_and_writes_nothing() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        let _store = Store::open(&path).unwrap();
        let reader = open_reader(&path).unwrap();
        assert_eq!(pragma_of(&reader, "journal_mode"), "wal");
        assert_eq!(pragma_of(&reader, "synchronous"), "2");
        assert_eq!(pragma_of(&reader, "foreign_keys"), "1");
        assert_eq!(pragma_of(&reader, "busy_timeout"), "5000");
        assert_eq!(
            pragma_of(&reader, "cache_size"),
            format!("-{READER_CACHE_KIB}")
        );
        let refused = reader.execute("INSERT INTO companies (id, name) VALUES ('x', 'X')", []);
        assert!(
            matches!(&refused, Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ReadOnly),
            "{refused:?}"
        );
    }

    /// The reader opens the file SQLite opened, named absolutely (a relative path would name
    /// another file once the working directory changed).
    #[test]
    fn the_reader_reads_the_file_sqlite_opened() {
        let dir = TempDir::new();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let path = dir.path().join("sub").join("..").join("p.db");
        let store = Store::open(&path).unwrap();
        let file = store.file_for_reader().unwrap();
        assert!(file.is_absolute(), "{}", file.display());
        assert_eq!(
            std::fs::canonicalize(&file).unwrap(),
            std::fs::canonicalize(dir.path().join("p.db")).unwrap()
        );
    }

    #[test]
    fn a_core_step_has_the_small_cache_and_gives_the_big_one_back() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        let big = format!("-{CACHE_KIB}");
        assert_eq!(pragma(&store, "cache_size"), big);
        let inside = store
            .with_core_cache(|store| Ok(pragma(store, "cache_size")))
            .unwrap();
        assert_eq!(inside, format!("-{CORE_CACHE_KIB}"));
        assert_eq!(pragma(&store, "cache_size"), big);
        // Also when the step fails.
        let failed: Result<()> =
            store.with_core_cache(|_| Err(Error::Unsupported("no".to_string())));
        assert!(failed.is_err());
        assert_eq!(pragma(&store, "cache_size"), big);
    }

    #[test]
    fn new_database_is_readable_by_its_owner_only() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        Store::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // An existing file keeps the mode its owner gave it.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        Store::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn reopening_runs_no_migration_twice() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        let mut store = Store::open(&path).unwrap();
        store.create_company("main", "Main").unwrap();
        drop(store);
        // Running migration 1 again would fail on CREATE TABLE and would lose the company.
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap() as usize,
            schema::MIGRATIONS.len()
        );
        assert_eq!(store.companies().unwrap().len(), 1);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        let store = Store::open(&path).unwrap();
        store.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(store);
        let message = Store::open(&path).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "database '{}' has schema version 99, but this payrun knows only up to {}: upgrade payrun",
                path.display(),
                schema::MIGRATIONS.len()
            )
        );
    }

    /// Version 5 rebuilds `payment_lines`: the rows keep their ids, the AUTOINCREMENT counter
    /// carries over (an id given before is never given again) and the status CHECK still
    /// refuses a status that is not one.
    #[test]
    fn migration_5_keeps_the_line_counter_and_the_status_check() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..4] {
                conn.execute_batch(sql).unwrap();
            }
            // Lines up to 41 were given and deleted.
            conn.execute_batch(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('payment_lines', 41); \
                 PRAGMA user_version = 4;",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        // Brought up to date: version 5 and those after it.
        assert_eq!(
            store.schema_version().unwrap() as usize,
            schema::MIGRATIONS.len()
        );
        assert_eq!(pragma(&store, "foreign_keys"), "1");
        let seq: i64 = store
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'payment_lines'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(seq, 41);
        // The line's entry and format do not exist: only the CHECK is under test here.
        store
            .conn
            .pragma_update(None, "foreign_keys", false)
            .unwrap();
        let insert = |status: &str| {
            store.conn.execute(
                "INSERT INTO payment_lines (company, entry_id, debtor, format_id, payment_date, \
                 status) VALUES (1, 'e', 'd', 'f', '2026-07-01', ?1)",
                [status],
            )
        };
        assert!(insert("bogus").is_err());
        insert("sent").unwrap();
        assert_eq!(store.conn.last_insert_rowid(), 42);
    }

    /// Version 6 (the journal's second migration) rebuilds `journal_lines` and
    /// `ledger_transactions`, and version 7 drops the drafts' index: the rows stay as they
    /// were, the drafts' AUTOINCREMENT counter carries over, and the ledger's triggers still
    /// refuse a gap in the numbering, a settlement of a written transaction, and any change.
    #[test]
    fn migration_6_keeps_the_journal_and_the_ledger_guards() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        let dump = |conn: &Connection| -> Vec<String> {
            let mut rows = Vec::new();
            for sql in [
                "SELECT company, id, journal, date, account, text, amount, offset_account, \
                 offsets, source, fixed_by_person, attention FROM journal_lines ORDER BY id",
                "SELECT * FROM ledger_transactions ORDER BY company, id",
                "SELECT * FROM ledger_settlements ORDER BY company, txn, entry_id",
            ] {
                let mut statement = conn.prepare(sql).unwrap();
                let columns = statement.column_count();
                let mut query = statement.query([]).unwrap();
                while let Some(row) = query.next().unwrap() {
                    let values: Vec<String> = (0..columns)
                        .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                        .collect();
                    rows.push(values.join("|"));
                }
            }
            rows
        };
        let before = {
            let conn = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..5] {
                conn.execute_batch(sql).unwrap();
            }
            conn.execute_batch(
                "BEGIN;
                 INSERT INTO companies (key, id, name) VALUES (1, 'main', 'Main');
                 INSERT INTO debtors (company, account, name, address, postcode, city, country, \
                     email) VALUES (1, '100100', 'A', '', '', '', 'DK', '');
                 INSERT INTO journal_lines (company, id, journal, date, account, text, amount, \
                     offset_account, offsets, source) VALUES \
                     (1, 7, 'Day', '2026-07-01', '100100', 'BS 5001', -1000, '5850', \
                      '[\"5001\"]', 'file 1, line 2'), \
                     (1, 9, 'Day', '2026-07-01', NULL, '(!) BS', 50, '5850', '[]', 'file 1, line 3');
                 UPDATE sqlite_sequence SET seq = 41 WHERE name = 'journal_lines';
                 INSERT INTO ledger_settlements VALUES (1, 1, 'E1', '5001', 1000, 0);
                 INSERT INTO ledger_transactions VALUES (1, 1, 'Day', '2026-07-01', \
                     '2026-07-02T09:00:00', 3, 'BS 5001', '[\"5001\"]', 'file 1, line 1', \
                     '100100', '5850', -1000, 'c1'), \
                     (1, 2, 'Day', '2026-07-01', '2026-07-02T09:00:00', 4, 'BS 5002', '[]', \
                     'file 1, line 4', '100100', '5850', -5, 'c2');
                 COMMIT;
                 PRAGMA user_version = 5;",
            )
            .unwrap();
            dump(&conn)
        };
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap() as usize,
            schema::MIGRATIONS.len()
        );
        assert_eq!(pragma(&store, "foreign_keys"), "1");
        let conn = &store.conn;
        assert_eq!(dump(conn), before);
        // Version 7: the drafts have no index by journal.
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'journal_lines'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 0);
        // The drafts' counter: the next line is 42, not 10.
        conn.execute(
            "INSERT INTO journal_lines (company, journal, date, account, text, amount, \
             offset_account, offsets, source) \
             VALUES (1, 'Day', '2026-07-01', '100100', 'x', 1, '5850', '[]', 'test')",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 42);
        let refused = |sql: &str| conn.execute_batch(sql).unwrap_err().to_string();
        let transaction = |id: i64| {
            conn.execute(
                "INSERT INTO ledger_transactions VALUES (1, ?1, 'Day', '2026-07-01', \
                 '2026-07-02T09:00:00', 5, 'x', '[]', 'test', '100100', '5850', 100, 'c')",
                [id],
            )
            .map_err(|e| e.to_string())
        };
        assert!(transaction(2)
            .unwrap_err()
            .starts_with("UNIQUE constraint failed"));
        for sql in [
            "UPDATE ledger_transactions SET text = 'changed' WHERE id = 1",
            "DELETE FROM ledger_transactions WHERE id = 2",
            "UPDATE ledger_settlements SET remaining_after = 5",
            "DELETE FROM ledger_settlements",
        ] {
            assert_eq!(
                refused(sql),
                "ledger transactions are immutable (I2)",
                "{sql}"
            );
        }
        transaction(3).unwrap();
        // Version 14: the insert triggers are gone (`verify` reports a gap or a settlement
        // added later); those that refuse updates and deletes stay.
        let trigger = |name: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [name],
                |row| row.get(0),
            )
            .unwrap()
        };
        for name in [
            "ledger_transactions_no_update",
            "ledger_transactions_no_delete",
            "ledger_settlements_no_update",
            "ledger_settlements_no_delete",
        ] {
            assert_eq!(trigger(name), 1, "{name}");
        }
        for name in [
            "ledger_transactions_in_sequence",
            "ledger_settlements_closed",
        ] {
            assert_eq!(trigger(name), 0, "{name}");
        }
    }

    #[test]
    fn tables_are_strict() {
        let dir = TempDir::new();
        let store = Store::open(dir.path().join("p.db")).unwrap();
        let mut statement = store
            .conn
            .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
            .unwrap();
        let tables: Vec<(String, i64)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(tables.len() >= 7, "{tables:?}");
        for (name, strict) in tables {
            assert_eq!(strict, 1, "{name} is not STRICT");
        }
    }

    /// Data-driven: which company `resolve_company(named)` finds with `existing` companies.
    fn check_resolve(existing: &[&str], named: Option<&str>, expected: &str) {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        for id in existing {
            store.create_company(id, &id.to_uppercase()).unwrap();
        }
        let got = match store.resolve_company(named) {
            Ok(company) => format!("ok {}", company.id()),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected, "{existing:?} {named:?}");
    }

    #[test]
    fn company_resolution() {
        check_resolve(&[], None, "no company: run `payrun init` first");
        check_resolve(&["main"], None, "ok main");
        check_resolve(
            &["b", "a"],
            None,
            "several companies in the database (a, b): name one with --company",
        );
        check_resolve(&["b", "a"], Some("b"), "ok b");
        check_resolve(
            &["main"],
            Some("other"),
            "no company 'other' in the database: name one that exists with --company, or create it with `payrun init --company other`",
        );
        check_resolve(
            &[],
            Some("main"),
            "no company 'main' in the database: name one that exists with --company, or create it with `payrun init --company main`",
        );
    }

    #[test]
    fn company_ids_are_checked_and_unique() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        store.create_company("main", "Main").unwrap();
        assert_eq!(
            store
                .create_company("main", "Again")
                .unwrap_err()
                .to_string(),
            "company 'main' already exists in the database: choose another id with --company"
        );
        assert_eq!(
            store.create_company("a b", "X").unwrap_err().to_string(),
            "company id 'a b' is not valid: use 1 to 30 letters, digits, '-' or '_'"
        );
        assert_eq!(
            store.companies().unwrap(),
            vec![Company {
                id: "main".into(),
                name: "Main".into()
            }]
        );
    }

    #[test]
    fn a_second_writer_gets_a_retryable_busy_error() {
        let dir = TempDir::new();
        let path = dir.path().join("p.db");
        let mut first = Store::open(&path).unwrap();
        let mut second = Store::open(&path).unwrap();
        second.conn.busy_timeout(Duration::from_millis(50)).unwrap();
        let held = first.write().unwrap();
        let error = second.create_company("x", "X").unwrap_err();
        assert!(matches!(error, Error::Busy), "{error:?}");
        assert_eq!(
            error.to_string(),
            "the database is busy: another payrun is writing to it; nothing was changed, try again"
        );
        drop(held);
        second.create_company("x", "X").unwrap();
    }
}
