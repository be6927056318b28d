//! The status log (I6, schema version 11): every status change of a payment line, with its
//! time and cause.
//!
//! A step changes many lines the same way (an export moves a million lines from blank to
//! sent, "export of delivery N"; an import moves most of them from sent to received). So the
//! log is two tables:
//!
//! - `status_events`: one row per (company, time, old status, new status, cause) that a
//!   writer used: a handful per export or import;
//! - `status_changes`: one `(event, line)` row per changed line, keyed by that pair, so a
//!   step's rows are appended at the end of the table in the order it writes them.
//!
//! The view `status_log` joins the two into the one-row-per-change shape of versions 1–10.
//!
//! **Order.** A line's changes are in the order of their event ids: [`StatusLog`] reuses an
//! event only when that keeps each line's events increasing, and event ids only grow
//! (`AUTOINCREMENT`), so a later step's events come after an earlier step's.
//!
//! **Reading one line's log** probes the `(event, line)` key once per event of the company
//! (hundreds after years of monthly runs), so `show LINE` needs no index by line. Writing
//! the million rows of a step into a log with an index by line cost a lookup in that index
//! per row, at a random place in it (see the migration's comment for the figures).

use super::codec::time_text;
use super::{held, CompanyKey};
use crate::error::Result;
use crate::model::Status;
use chrono::NaiveDateTime;
use rusqlite::Connection;
use std::rc::Rc;

/// A step's status changes on their way into `status_changes`.
///
/// The rows are held until [`StatusLog::flush`], which writes them in key order (by event,
/// then line), so every row goes at the end of the table; written as they came, an import's
/// rows alternate between its events and most went in before the last rows written (3,300
/// instructions a row instead of 5,000 at 100,000 entries). They are written 100 to a
/// statement, whose text is built once.
pub(super) struct StatusLog<'a> {
    company: i64,
    at: String,
    /// This writer's events: (old, new, cause, event id). A step uses a handful.
    events: Vec<(Option<Status>, Status, Rc<str>, i64)>,
    /// The line and event of the change pushed last.
    last: Option<(i64, i64)>,
    rows: Vec<(i64, i64)>,
    full: Option<rusqlite::Statement<'a>>,
}

impl<'a> StatusLog<'a> {
    const BATCH: usize = 100;

    pub(super) fn new(company: &CompanyKey, now: NaiveDateTime) -> StatusLog<'a> {
        StatusLog {
            company: company.key,
            at: time_text(now),
            events: Vec::new(),
            last: None,
            rows: Vec::new(),
            full: None,
        }
    }

    /// Makes room for `changes` more rows at once (a vector doubling as it grows would hold
    /// up to twice the rows of a million-line step).
    pub(super) fn reserve(&mut self, changes: usize) {
        self.rows.reserve_exact(changes);
    }

    /// Logs that `line` went from `old` (`None`: it was created) to `new` because of `cause`.
    ///
    /// The event of an earlier change with the same statuses and cause is reused unless that
    /// would put this change before one already logged for the line:
    /// - a line pushed again right after itself gets an event newer than its last one;
    /// - when the lines stop coming in ascending order, the events so far are not reused at
    ///   all (a line seen before may come again), so every change after that point gets an
    ///   event newer than every change before it.
    ///
    /// The steps push in line id order (they sort their changes so that they walk the table
    /// in key order), so a step uses one event per kind of change. An LS 0690's receipts
    /// come per payment date and format, each group in line id order: a whole benchmark
    /// cycle, at 100,000 or 1,000,000 entries, made 54 events.
    pub(super) fn push(
        &mut self,
        tx: &'a Connection,
        line: i64,
        old: Option<Status>,
        new: Status,
        cause: &Rc<str>,
    ) -> Result<()> {
        let after = match self.last {
            Some((last_line, _)) if line < last_line => {
                self.events.clear();
                None
            }
            Some((last_line, last_event)) if line == last_line => Some(last_event),
            _ => None,
        };
        let known = self.events.iter().rev().find(|(o, n, c, id)| {
            *o == old
                && *n == new
                && (Rc::ptr_eq(c, cause) || **c == **cause)
                && after.is_none_or(|last| *id > last)
        });
        let event = match known {
            Some(&(_, _, _, id)) => id,
            None => {
                let id = new_event(tx, self.company, &self.at, old, new, cause)?;
                self.events.push((old, new, cause.clone(), id));
                id
            }
        };
        self.last = Some((line, event));
        self.rows.push((event, line));
        Ok(())
    }

    /// Writes the rows pushed and not yet written, in key order.
    pub(super) fn flush(&mut self, tx: &'a Connection) -> Result<()> {
        // Each event's rows came in line order already: the sort merges a few runs.
        self.rows.sort_unstable();
        for batch in self.rows.chunks(StatusLog::BATCH) {
            let mut short;
            let statement = if batch.len() == StatusLog::BATCH {
                held(&mut self.full, tx, || changes_sql(StatusLog::BATCH))?
            } else {
                short = tx.prepare(&changes_sql(batch.len()))?;
                &mut short
            };
            for (i, (event, line)) in batch.iter().enumerate() {
                statement.raw_bind_parameter(2 * i + 1, event)?;
                statement.raw_bind_parameter(2 * i + 2, line)?;
            }
            statement.raw_execute()?;
        }
        self.rows = Vec::new();
        Ok(())
    }
}

/// Adds an event and returns its id.
fn new_event(
    tx: &Connection,
    company: i64,
    at: &str,
    old: Option<Status>,
    new: Status,
    cause: &str,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO status_events (company, at, old, new, cause) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((company, at, old.map(Status::as_str), new.as_str(), cause))?;
    Ok(tx.last_insert_rowid())
}

/// `INSERT INTO status_changes (event, line) VALUES` of `rows` rows, two placeholders each.
fn changes_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2))
        .collect();
    format!(
        "INSERT INTO status_changes (event, line) VALUES {}",
        values.join(", ")
    )
}

/// The creation of the company's (`?1`) lines with ids from `?2` to `?3`, as changes of the
/// event `?4`. The lines are read by id range: the unary `+` keeps SQLite from reading every
/// line of the company through the index by entry and sorting them, which grew with the
/// company's history rather than with the lines logged.
pub(super) const LOG_CREATED_SQL: &str = "INSERT INTO status_changes (event, line) \
     SELECT ?4, id FROM payment_lines WHERE +company = ?1 AND id BETWEEN ?2 AND ?3 \
     ORDER BY id";

/// Logs the creation (no old status, new blank, `cause`) of the company's lines with ids
/// from `first` to `last`, all of them, by one statement ([`LOG_CREATED_SQL`]); returns how
/// many were logged.
pub(super) fn log_created(
    tx: &Connection,
    company: &CompanyKey,
    (first, last): (i64, i64),
    now: NaiveDateTime,
    cause: &str,
) -> Result<usize> {
    let event = new_event(tx, company.key, &time_text(now), None, Status::Blank, cause)?;
    Ok(tx.execute(LOG_CREATED_SQL, (company.key, first, last, event))?)
}

/// Deletes a line's log (the line is being deleted): one probe of the key per event of the
/// company.
pub(super) fn delete_line_log(tx: &Connection, company: &CompanyKey, line: i64) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM status_changes WHERE line = ?2 \
         AND event IN (SELECT id FROM status_events WHERE company = ?1)",
    )?
    .execute((company.key, line))?;
    Ok(())
}

/// The `SELECT` of a line's log, oldest first, for [`super::codec::status_change_from_row`]:
/// the company is `?1`, the line `?2`. The events
/// are walked and the key probed for each (`CROSS JOIN` keeps SQLite from scanning the
/// changes instead).
pub(super) const LINE_LOG_SQL: &str = "SELECT e.at, e.old, e.new, e.cause \
     FROM status_events e CROSS JOIN status_changes c ON c.event = e.id AND c.line = ?2 \
     WHERE e.company = ?1 ORDER BY e.id";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::seeded;
    use chrono::NaiveDate;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 5, 4)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    /// The (line, old, new) of the log in the order a line's log is read: by event, then line.
    fn logged(conn: &Connection) -> Vec<(i64, i64, Option<String>, String)> {
        conn.prepare("SELECT event, line, old, new FROM status_log ORDER BY event, line")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// A line's changes come back in the order they were pushed, whatever order the lines come
    /// in; a step in line order uses one event per kind of change.
    #[test]
    fn each_lines_changes_keep_their_order() {
        let (_dir, store, company) = seeded();
        let tx = &store.conn;
        let cause: Rc<str> = "import of file F".into();
        let mut log = StatusLog::new(&company, now());
        use Status::{Received, Reversed, Sent};
        // In line order, line 2 changed twice, and line 3 as line 1 was.
        log.push(tx, 1, Some(Received), Reversed, &cause).unwrap();
        log.push(tx, 2, Some(Sent), Received, &cause).unwrap();
        log.push(tx, 2, Some(Received), Reversed, &cause).unwrap();
        log.push(tx, 3, Some(Received), Reversed, &cause).unwrap();
        // Out of order: line 1 again.
        log.push(tx, 1, Some(Reversed), Received, &cause).unwrap();
        log.push(tx, 4, Some(Sent), Received, &cause).unwrap();
        log.flush(tx).unwrap();
        let rows = logged(tx);
        let events: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let line = |n: i64| -> Vec<(Option<String>, String)> {
            rows.iter()
                .filter(|r| r.1 == n)
                .map(|r| (r.2.clone(), r.3.clone()))
                .collect()
        };
        let change = |o: &str, n: &str| (Some(o.to_string()), n.to_string());
        assert_eq!(
            line(1),
            vec![
                change("received", "reversed"),
                change("reversed", "received")
            ]
        );
        assert_eq!(
            line(2),
            vec![change("sent", "received"), change("received", "reversed")]
        );
        // Line 2's second change needs a newer event than its first (line 1's is older), and
        // line 3 shares that one; after line 1 came again, nothing before is reused.
        assert_eq!(rows.len(), 6);
        let distinct: std::collections::BTreeSet<i64> = events.iter().copied().collect();
        assert_eq!(distinct.len(), 5, "{rows:?}");
    }
}
