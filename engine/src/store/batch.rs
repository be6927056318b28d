//! Multi-row `INSERT`s with their values bound in place, shared by the store's writers
//! (performance.md: batched inserts, prepared statements reused).

use crate::error::Result;
use rusqlite::Connection;

/// A multi-row `INSERT` run per `batch` items, the values bound in place (no vector of owned
/// values per batch): `INSERT INTO {into} VALUES (…), (…)`, each row the `constants` (bound
/// once per statement as `?1`…) followed by `columns` values of its own.
pub(super) struct BatchInsert<'a> {
    /// The table and its column list, a constant.
    pub into: &'static str,
    pub constants: &'a [&'a dyn rusqlite::ToSql],
    pub columns: usize,
    pub batch: usize,
}

impl BatchInsert<'_> {
    fn sql(&self, rows: usize) -> String {
        insert_sql(self.into, self.constants.len(), self.columns, rows)
    }

    /// Inserts `items`; `bind` binds one item's values from the placeholder number it is
    /// given; `done` is told how many were written after each statement.
    pub fn run<T>(
        &self,
        tx: &Connection,
        items: impl Iterator<Item = T>,
        mut bind: impl FnMut(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
        mut done: impl FnMut(usize),
    ) -> Result<()> {
        let mut full = tx.prepare(&self.sql(self.batch))?;
        let mut chunk: Vec<T> = Vec::with_capacity(self.batch);
        let mut items = items.peekable();
        while items.peek().is_some() {
            chunk.clear();
            chunk.extend(items.by_ref().take(self.batch));
            let mut short;
            let statement = if chunk.len() == self.batch {
                &mut full
            } else {
                short = tx.prepare(&self.sql(chunk.len()))?;
                &mut short
            };
            for (i, value) in self.constants.iter().enumerate() {
                statement.raw_bind_parameter(i + 1, value)?;
            }
            for (i, item) in chunk.iter().enumerate() {
                bind(statement, self.constants.len() + 1 + i * self.columns, item)?;
            }
            statement.raw_execute()?;
            done(chunk.len());
        }
        Ok(())
    }
}

/// `INSERT INTO {into} VALUES (…), (…)` for `rows` rows, each row the `constants` shared
/// placeholders `?1`… followed by `columns` placeholders of its own.
pub(super) fn insert_sql(
    into: &'static str,
    constants: usize,
    columns: usize,
    rows: usize,
) -> String {
    let shared: Vec<String> = (1..=constants).map(|p| format!("?{p}")).collect();
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let first = constants + 1 + row * columns;
            let own = (first..first + columns).map(|p| format!("?{p}"));
            let all: Vec<String> = shared.iter().cloned().chain(own).collect();
            format!("({})", all.join(", "))
        })
        .collect();
    format!("INSERT INTO {into} VALUES {}", values.join(", "))
}
