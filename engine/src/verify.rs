//! `payrun verify`: the promises of `reliability.md` that a database can show, checked.
//!
//! Each check is a small function over the database that returns a [`Check`]: its name
//! (starting with the invariant's id), whether it holds, and a detail for a person — what was
//! counted, or the first rows that break it. `verify` runs over every company in the
//! database: it is the check every integration test ends with, and what an operator runs
//! after a crash.

use crate::error::Result;
use crate::model::Status;
use crate::status::is_allowed_edge;
use crate::store::Store;
use crate::validate::{liveness, Liveness};
use ledger::Id;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Every check, and whether all hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub checks: Vec<Check>,
}

/// How many offending rows a detail names at most.
const EXAMPLES: usize = 5;

/// Runs every check on the database at `path` (which must exist), with the Danish banking
/// calendar.
pub fn verify_database(path: impl AsRef<Path>) -> Result<VerifyReport> {
    verify_database_with(path, &bankcal::Calendar::danish())
}

/// [`verify_database`] with `calendar` for I9: the Danish one with the extra closing days the
/// commands were given (`--closing-days`), so a payment date on one of those is found too.
pub fn verify_database_with(
    path: impl AsRef<Path>,
    calendar: &bankcal::Calendar,
) -> Result<VerifyReport> {
    let path = path.as_ref();
    if !path.exists() {
        return Err(crate::Error::DatabaseMissing(path.to_path_buf()));
    }
    let store = Store::open(path)?;
    let conn = store.connection();
    // Both I8 checks look at every payment line: read them once.
    let lines = load_lines(conn)?;
    let checks = vec![
        integrity(conn)?,
        foreign_keys(conn)?,
        whole_ore(conn)?,
        status_log_edges(conn)?,
        one_live_line_per_entry(&lines),
        groups_consistent(&lines),
        company_isolation(conn)?,
        journal_balances(conn)?,
        ledger_immutable(conn)?,
        journal_whole_ore(conn)?,
        deliveries_applied_once(conn)?,
        records_journalled_once(conn)?,
        exported_once(conn)?,
        charges_list_their_lines(conn)?,
        exported_dates_met_deadlines(conn, calendar)?,
        journal_company_isolation(conn)?,
        journal_offsets(conn)?,
    ];
    Ok(VerifyReport {
        ok: checks.iter().all(|c| c.ok),
        checks,
    })
}

fn check(name: &'static str, problems: Vec<String>, counted: String) -> Check {
    let ok = problems.is_empty();
    let detail = if ok {
        counted
    } else {
        let mut shown: Vec<String> = problems.iter().take(EXAMPLES).cloned().collect();
        if problems.len() > EXAMPLES {
            shown.push(format!("and {} more", problems.len() - EXAMPLES));
        }
        shown.join("; ")
    };
    Check { name, ok, detail }
}

/// SQLite's own check of the file: `PRAGMA integrity_check` says `ok`.
fn integrity(conn: &Connection) -> Result<Check> {
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let problems: Vec<String> = rows.into_iter().filter(|r| r != "ok").collect();
    Ok(check("integrity_check", problems, "ok".to_string()))
}

/// `PRAGMA foreign_key_check` finds no row pointing at a missing row.
fn foreign_keys(conn: &Connection) -> Result<Check> {
    let mut statement = conn.prepare("PRAGMA foreign_key_check")?;
    let problems: Vec<String> = statement
        .query_map([], |row| {
            let table: String = row.get(0)?;
            let rowid: Option<i64> = row.get(1)?;
            let parent: String = row.get(2)?;
            Ok(format!(
                "{table} row {} points at a missing {parent} row",
                rowid.map_or("?".to_string(), |r| r.to_string())
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(check(
        "foreign_key_check",
        problems,
        "no dangling references".to_string(),
    ))
}

/// I3: every amount column holds an integer number of øre.
fn whole_ore(conn: &Connection) -> Result<Check> {
    let columns = [
        ("entries", "amount"),
        ("entries", "remaining"),
        ("payment_lines", "partial_payment"),
    ];
    let mut problems = Vec::new();
    let mut counted = 0_i64;
    for (table, column) in columns {
        let (values, wrong): (i64, i64) = conn.query_row(
            &format!(
                "SELECT count({column}), count(*) FILTER (WHERE {column} IS NOT NULL \
                 AND typeof({column}) <> 'integer') FROM {table}"
            ),
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        counted += values;
        if wrong > 0 {
            problems.push(format!(
                "{table}.{column}: {wrong} values are not whole øre"
            ));
        }
    }
    Ok(check(
        "I3 amounts are integer øre",
        problems,
        format!("{counted} amounts checked"),
    ))
}

/// I6: every line's status log is a chain of allowed edges from "created blank" to the
/// line's current status.
fn status_log_edges(conn: &Connection) -> Result<Check> {
    let mut current: HashMap<i64, Status> = HashMap::new();
    {
        let mut statement = conn.prepare("SELECT id, status FROM payment_lines")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let status: String = row.get(1)?;
            current.insert(row.get(0)?, parse_status(&status)?);
        }
    }
    let mut problems = Vec::new();
    let mut last: HashMap<i64, Status> = HashMap::new();
    let mut entries = 0_usize;
    {
        // In the key's order (event, line): a line's changes are in event order (see
        // `store::status_log`), so each is checked against the line's change before it.
        let mut statement = conn.prepare(
            "SELECT c.line, e.old, e.new, e.cause \
             FROM status_changes c JOIN status_events e ON e.id = c.event \
             ORDER BY c.event, c.line",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            entries += 1;
            let line: i64 = row.get(0)?;
            let old: Option<String> = row.get(1)?;
            let new: String = row.get(2)?;
            let cause: String = row.get(3)?;
            let old = old.as_deref().map(parse_status).transpose()?;
            let new = parse_status(&new)?;
            let previous = last.get(&line).copied();
            if old != previous {
                problems.push(format!(
                    "line {line}: the log says {} → {} ({cause}), but the line was {}",
                    name(old),
                    new.as_str(),
                    name(previous)
                ));
            } else if !is_allowed_edge(old, new) {
                problems.push(format!(
                    "line {line}: {} → {} ({cause}) is not an edge of the status machine",
                    name(old),
                    new.as_str()
                ));
            }
            last.insert(line, new);
        }
    }
    let mut lines: Vec<(&i64, &Status)> = current.iter().collect();
    lines.sort();
    for (line, status) in lines {
        match last.get(line) {
            None => problems.push(format!("line {line} has no status log")),
            Some(logged) if logged != status => problems.push(format!(
                "line {line} is {} but its log ends at {}",
                status.as_str(),
                logged.as_str()
            )),
            Some(_) => {}
        }
    }
    Ok(check(
        "I6 every status change is an allowed, logged edge",
        problems,
        format!("{} lines, {entries} log entries", current.len()),
    ))
}

fn name(status: Option<Status>) -> &'static str {
    status.map_or("(new)", Status::as_str)
}

fn parse_status(text: &str) -> Result<Status> {
    Status::parse(text)
        .ok_or_else(|| crate::Error::Corrupt(format!("unknown payment line status '{text}'")))
}

/// The fields of a payment line that the invariant checks need.
struct LineRow {
    id: i64,
    company: i64,
    entry: Id,
    debtor: Id,
    format: Id,
    date: Id,
    group: Option<Id>,
    status: Status,
}

fn load_lines(conn: &Connection) -> Result<Vec<LineRow>> {
    let mut statement = conn.prepare(
        "SELECT id, company, entry_id, debtor, format_id, payment_date, group_id, status \
         FROM payment_lines ORDER BY id",
    )?;
    let mut rows = statement.query([])?;
    let mut lines = Vec::new();
    while let Some(row) = rows.next()? {
        let status: String = row.get(7)?;
        lines.push(LineRow {
            id: row.get(0)?,
            company: row.get(1)?,
            entry: crate::store::get_id(row, 2)?,
            debtor: crate::store::get_id(row, 3)?,
            format: crate::store::get_id(row, 4)?,
            date: crate::store::get_id(row, 5)?,
            group: crate::store::get_optional_id(row, 6)?,
            status: parse_status(&status)?,
        });
    }
    Ok(lines)
}

/// I8 (first half): no entry is in two live payment lines.
fn one_live_line_per_entry(lines: &[LineRow]) -> Check {
    let mut live: HashMap<(i64, &str), Vec<i64>> = HashMap::new();
    for line in lines {
        if is_live(line) {
            live.entry((line.company, &line.entry))
                .or_default()
                .push(line.id);
        }
    }
    let mut problems: Vec<String> = live
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((_, entry), ids)| format!("entry {entry} is in live lines {ids:?}"))
        .collect();
    problems.sort();
    check(
        "I8 no entry is in two live payment lines",
        problems,
        format!("{} live lines", live.values().map(Vec::len).sum::<usize>()),
    )
}

/// Whether a line counts for I8: the core's liveness, for the fields stored here.
fn is_live(line: &LineRow) -> bool {
    let mut probe = crate::model::PaymentLine::blank(
        line.id,
        Id::default(),
        Id::default(),
        Id::default(),
        chrono::NaiveDate::MIN,
    );
    probe.status = line.status;
    probe.group = line.group.clone();
    liveness(&probe) != Liveness::NotLive
}

/// I8 (second half, before export): the lines of one collective payment share its debtor,
/// payment date and payment format, so the group's amount is the sum of exactly its lines.
fn groups_consistent(lines: &[LineRow]) -> Check {
    let mut problems = Vec::new();
    let mut groups = 0_usize;
    let mut seen: HashMap<(i64, &str), &LineRow> = HashMap::new();
    for line in lines {
        let Some(group) = line.group.as_deref() else {
            continue;
        };
        if group == crate::model::GROUP_SINGLE || group == crate::model::GROUP_DESELECTED {
            continue;
        }
        let expected = format!("{}-{}", line.debtor, line.date.replace('-', ""));
        if group != expected {
            problems.push(format!(
                "line {} is in group {group} but belongs to debtor {} on {}",
                line.id, line.debtor, line.date
            ));
        }
        match seen.get(&(line.company, group)) {
            None => {
                groups += 1;
                seen.insert((line.company, group), line);
            }
            Some(first) if first.format != line.format => problems.push(format!(
                "group {group} mixes payment formats {} and {}",
                first.format, line.format
            )),
            Some(_) => {}
        }
    }
    check(
        "I8 collective payments hold only their debtor's lines of one date and format",
        problems,
        format!("{groups} collective payments"),
    )
}

/// Runs each `(what, SELECT count(*) …)` query and names every one that counts a row.
fn offending_rows(conn: &Connection, queries: &[(&str, &str)]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (what, sql) in queries {
        let count: i64 = conn.query_row(sql, [], |row| row.get(0))?;
        if count > 0 {
            problems.push(format!("{count} {what}"));
        }
    }
    Ok(problems)
}

/// I11: rows that refer to another row refer to one of the same company.
fn company_isolation(conn: &Connection) -> Result<Check> {
    let queries = [
        (
            "status log entries of another company's line or of no line",
            "SELECT count(*) FROM status_changes c JOIN status_events e ON e.id = c.event \
             LEFT JOIN payment_lines l ON l.id = c.line WHERE l.company IS NOT e.company",
        ),
        (
            "payment lines whose debtor is not their entry's",
            "SELECT count(*) FROM payment_lines l JOIN entries e \
             ON e.company = l.company AND e.entry_id = l.entry_id WHERE e.debtor <> l.debtor",
        ),
    ];
    let problems = offending_rows(conn, &queries)?;
    let companies: i64 = conn.query_row("SELECT count(*) FROM companies", [], |r| r.get(0))?;
    Ok(check(
        "I11 no row refers across companies",
        problems,
        format!("{companies} companies"),
    ))
}

/// The companies of the database: (key, id).
fn companies(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let mut statement = conn.prepare("SELECT key, id FROM companies ORDER BY key")?;
    let companies = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(companies)
}

/// I1: every journal line that may be posted has both an account and an offset account to
/// balance against, and each company's posted ledger sums to zero (its trial balance).
fn journal_balances(conn: &Connection) -> Result<Check> {
    let mut problems = Vec::new();
    let unbalanced: i64 = conn.query_row(
        "SELECT count(*) FROM journal_lines WHERE attention = 0 \
         AND (account IS NULL OR offset_account IS NULL)",
        [],
        |row| row.get(0),
    )?;
    if unbalanced > 0 {
        problems.push(format!(
            "{unbalanced} journal lines could be posted without an account or offset account"
        ));
    }
    let mut transactions = 0_usize;
    for (key, id) in companies(conn)? {
        let balances = ledger::trial_balance(conn, key).map_err(crate::Error::from)?;
        let total: i128 = balances.iter().map(|b| i128::from(b.balance.ore())).sum();
        if total != 0 {
            problems.push(format!(
                "company {id}: the trial balance sums to {total} øre, not zero"
            ));
        }
        // Counted, not read: I2's check reads them all, one at a time.
        let count: i64 = conn.query_row(
            "SELECT count(*) FROM ledger_transactions WHERE company = ?1",
            [key],
            |row| row.get(0),
        )?;
        transactions += usize::try_from(count).unwrap_or(0);
    }
    Ok(check(
        "I1 journal lines balance against their offset account; the trial balance is zero",
        problems,
        format!("{transactions} ledger transactions"),
    ))
}

/// I2: posted ledger transactions are never updated or deleted: the ledger's own check per
/// company (the guarding triggers exist, no gap in the numbering, the chain holds).
fn ledger_immutable(conn: &Connection) -> Result<Check> {
    let mut problems = Vec::new();
    let companies = companies(conn)?;
    for (key, id) in &companies {
        for problem in ledger::check_invariants(conn, *key).map_err(crate::Error::from)? {
            problems.push(format!("company {id}: {problem}"));
        }
    }
    Ok(check(
        "I2 posted ledger transactions are never updated or deleted",
        problems,
        format!("the ledgers of {} companies checked", companies.len()),
    ))
}

/// I3 for the journal and the file exchange: their amount columns hold integer øre.
fn journal_whole_ore(conn: &Connection) -> Result<Check> {
    let columns = [
        ("journal_lines", "amount"),
        ("ledger_transactions", "amount"),
        ("ledger_settlements", "remaining_before"),
        ("ledger_settlements", "remaining_after"),
        ("charges", "amount"),
        ("delivery_files", "amount"),
    ];
    let mut problems = Vec::new();
    let mut counted = 0_i64;
    for (table, column) in columns {
        let (values, wrong): (i64, i64) = conn.query_row(
            &format!(
                "SELECT count({column}), count(*) FILTER (WHERE typeof({column}) <> 'integer') \
                 FROM {table}"
            ),
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        counted += values;
        if wrong > 0 {
            problems.push(format!(
                "{table}.{column}: {wrong} values are not whole øre"
            ));
        }
    }
    Ok(check(
        "I3 journal, ledger and delivery amounts are integer øre",
        problems,
        format!("{counted} amounts checked"),
    ))
}

/// I4: no delivery from the bank is in the archive twice (one delivery key, one file).
fn deliveries_applied_once(conn: &Connection) -> Result<Check> {
    let mut statement = conn.prepare(
        "SELECT company, delivery_type, delivery_id, creation_date, count(*) FROM delivery_files \
         WHERE export = 0 \
         GROUP BY company, data_supplier, system_code, delivery_type, delivery_id, creation_date \
         HAVING count(*) > 1",
    )?;
    let problems: Vec<String> = statement
        .query_map([], |row| {
            let (kind, id, created, count): (String, String, String, i64) =
                (row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?);
            Ok(format!(
                "delivery {id} (type {kind}, created {created}) was applied {count} times"
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let received: i64 = conn.query_row(
        "SELECT count(*) FROM delivery_files WHERE export = 0",
        [],
        |row| row.get(0),
    )?;
    Ok(check(
        "I4 a delivery file is applied at most once",
        problems,
        format!("{received} received files"),
    ))
}

/// I5: a return record is journalled at most once: no two journal lines (in the draft or
/// posted) come from the same record of the same file, and no record is registered as
/// applied twice.
fn records_journalled_once(conn: &Connection) -> Result<Check> {
    let mut problems = Vec::new();
    let mut statement = conn.prepare(
        "SELECT company, source, count(*) FROM ( \
             SELECT company, source FROM journal_lines WHERE source LIKE 'file %' \
             UNION ALL \
             SELECT company, source FROM ledger_transactions WHERE source LIKE 'file %') \
         GROUP BY company, source HAVING count(*) > 1",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let source: String = row.get(1)?;
        let count: i64 = row.get(2)?;
        problems.push(format!("{source} is in the journal {count} times"));
    }
    let twice: i64 = conn.query_row(
        "SELECT count(*) FROM (SELECT 1 FROM applied_records \
         GROUP BY company, file, line HAVING count(*) > 1)",
        [],
        |row| row.get(0),
    )?;
    if twice > 0 {
        problems.push(format!(
            "{twice} return records are registered as applied twice"
        ));
    }
    let journalled: i64 = conn.query_row(
        "SELECT (SELECT count(*) FROM journal_lines WHERE source LIKE 'file %') \
         + (SELECT count(*) FROM ledger_transactions WHERE source LIKE 'file %')",
        [],
        |row| row.get(0),
    )?;
    Ok(check(
        "I5 a return record changes a line and is journalled at most once",
        problems,
        format!("{journalled} journal lines from bank records"),
    ))
}

/// I7: a line is exported at most once unless a person asked for a resend: its status log
/// has no more changes to `sent` than one plus the changes back to `transmitting` (resend)
/// or to `blank`.
fn exported_once(conn: &Connection) -> Result<Check> {
    let mut statement = conn.prepare(
        "SELECT line, \
                count(*) FILTER (WHERE new = 'sent'), \
                count(*) FILTER (WHERE old IS NOT NULL AND new IN ('transmitting', 'blank')) \
         FROM status_log GROUP BY line ORDER BY line",
    )?;
    let mut rows = statement.query([])?;
    let mut problems = Vec::new();
    let mut sent = 0_i64;
    while let Some(row) = rows.next()? {
        let line: i64 = row.get(0)?;
        let sends: i64 = row.get(1)?;
        let resends: i64 = row.get(2)?;
        sent += sends;
        if sends > 1 + resends {
            problems.push(format!(
                "line {line} was sent {sends} times with {resends} resends asked for"
            ));
        }
    }
    Ok(check(
        "I7 a line is exported at most once unless a resend was asked for",
        problems,
        format!("{sent} exports of lines"),
    ))
}

/// Every sent line is in the `lines` of the charge its reference names: a bank answer finds a
/// charge's lines by that list (schema version 9), so a line missing from it would never get
/// its answer.
fn charges_list_their_lines(conn: &Connection) -> Result<Check> {
    let mut statement = conn.prepare(
        "SELECT l.id, l.reference, c.reference IS NOT NULL FROM payment_lines l \
         LEFT JOIN charges c ON c.company = l.company AND c.reference = l.reference \
         WHERE l.reference IS NOT NULL \
           AND (c.reference IS NULL OR instr(',' || c.lines || ',', ',' || l.id || ',') = 0)",
    )?;
    let problems: Vec<String> = statement
        .query_map([], |row| {
            let (line, reference): (i64, String) = (row.get(0)?, row.get(1)?);
            Ok(if row.get(2)? {
                format!("line {line} is not in the lines of its charge {reference}")
            } else {
                format!("line {line} carries the reference {reference} of no charge")
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let sent: i64 = conn.query_row(
        "SELECT count(*) FROM payment_lines WHERE reference IS NOT NULL",
        [],
        |row| row.get(0),
    )?;
    Ok(check(
        "every sent line is listed by its charge",
        problems,
        format!("{sent} lines with a reference"),
    ))
}

/// I9: every exported charge's payment date is a banking day of `calendar` and its file was
/// written before the delivery deadline of its payment format.
fn exported_dates_met_deadlines(conn: &Connection, calendar: &bankcal::Calendar) -> Result<Check> {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    let mut statement = conn.prepare(
        "SELECT c.reference, c.payment_date, c.amount, f.created, p.scheme, \
                p.extended_deadline, p.cutoff \
         FROM charges c \
         JOIN delivery_files f ON f.id = c.file \
         JOIN payment_formats p ON p.company = c.company AND p.id = c.format_id \
         ORDER BY c.company, c.reference",
    )?;
    let mut rows = statement.query([])?;
    let mut problems = Vec::new();
    let mut charges = 0_usize;
    while let Some(row) = rows.next()? {
        charges += 1;
        let reference: String = row.get(0)?;
        let date: String = row.get(1)?;
        let amount: i64 = row.get(2)?;
        let created: String = row.get(3)?;
        let scheme: String = row.get(4)?;
        let extended: bool = row.get(5)?;
        let cutoff: String = row.get(6)?;
        let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else {
            problems.push(format!(
                "charge {reference}: payment date '{date}' is not a date"
            ));
            continue;
        };
        if calendar.is_banking_day(date) != Ok(true) {
            problems.push(format!(
                "charge {reference}: payment date {date} is not a banking day"
            ));
            continue;
        }
        let created = NaiveDateTime::parse_from_str(&created, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(&created, "%Y-%m-%dT%H:%M"));
        let cutoff = NaiveTime::parse_from_str(&cutoff, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(&cutoff, "%H:%M"));
        let (Ok(created), Ok(cutoff)) = (created, cutoff) else {
            problems.push(format!(
                "charge {reference}: its file's time or its format's cut-off cannot be read"
            ));
            continue;
        };
        let deadline = if scheme == "bs" {
            calendar.bs_deadline(date, extended, cutoff)
        } else {
            calendar.ls_deadline(date, amount < 0, cutoff)
        };
        match deadline {
            Ok(deadline) if created > deadline => problems.push(format!(
                "charge {reference} for {date} was exported at {created}, after the deadline {deadline}"
            )),
            Ok(_) => {}
            Err(e) => problems.push(format!("charge {reference}: {e}")),
        }
    }
    Ok(check(
        "I9 every exported payment date is a banking day that met its deadline",
        problems,
        format!("{charges} charges"),
    ))
}

/// I11 for the journal: every journal line's and ledger transaction's debtor is one of its
/// own company's debtors, and every settlement names an entry of the transaction's company.
fn journal_company_isolation(conn: &Connection) -> Result<Check> {
    let queries = [
        (
            "journal lines whose account is no debtor of their company",
            "SELECT count(*) FROM journal_lines j WHERE j.account IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM debtors d WHERE d.company = j.company AND d.account = j.account)",
        ),
        (
            "ledger transactions whose account is no debtor of their company",
            "SELECT count(*) FROM ledger_transactions t WHERE NOT EXISTS \
             (SELECT 1 FROM debtors d WHERE d.company = t.company AND d.account = t.account)",
        ),
        (
            "settlements of entries that are not their company's",
            "SELECT count(*) FROM ledger_settlements s WHERE NOT EXISTS \
             (SELECT 1 FROM entries e WHERE e.company = s.company AND e.entry_id = s.entry_id)",
        ),
    ];
    let problems = offending_rows(conn, &queries)?;
    let lines: i64 = conn.query_row("SELECT count(*) FROM journal_lines", [], |r| r.get(0))?;
    Ok(check(
        "I11 journal and ledger rows stay in their company",
        problems,
        format!("{lines} journal draft lines"),
    ))
}

/// The offsets of every journal line and ledger transaction are a JSON array (of invoice
/// numbers). Until schema version 6 a CHECK refused anything else; since then the ledger's
/// writers make the JSON themselves (see `ledger::JOURNAL_MIGRATION_2`) and this check runs
/// the same test over every row.
fn journal_offsets(conn: &Connection) -> Result<Check> {
    let queries = [
        (
            "journal lines whose offsets are not a JSON array",
            "SELECT count(*) FROM journal_lines \
             WHERE NOT (json_valid(offsets) AND json_type(offsets) = 'array')",
        ),
        (
            "ledger transactions whose offsets are not a JSON array",
            "SELECT count(*) FROM ledger_transactions \
             WHERE NOT (json_valid(offsets) AND json_type(offsets) = 'array')",
        ),
    ];
    let problems = offending_rows(conn, &queries)?;
    let (lines, transactions): (i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM journal_lines), (SELECT count(*) FROM ledger_transactions)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(check(
        "journal and ledger offsets are JSON arrays",
        problems,
        format!("{lines} journal lines, {transactions} ledger transactions"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{seeded, TempDir};

    fn failing(report: &VerifyReport) -> Vec<&'static str> {
        report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn a_fresh_database_passes_every_check() {
        let dir = TempDir::new();
        let path = dir.path().join("fresh.db");
        Store::open(&path).unwrap();
        let report = verify_database(&path).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.checks.len(), 17);
    }

    #[test]
    fn a_status_change_behind_the_log_is_found() {
        let (dir, store, _company) = seeded();
        let path = store.path().to_path_buf();
        let conn = store.connection();
        conn.execute_batch(
            "INSERT INTO payment_lines (company, entry_id, debtor, format_id, payment_date, status) \
             SELECT company, entry_id, debtor, 'BS', due_date, 'blank' FROM entries LIMIT 1;",
        )
        .unwrap();
        drop(store);
        let report = verify_database(&path).unwrap();
        assert_eq!(
            failing(&report),
            ["I6 every status change is an allowed, logged edge"]
        );
        assert!(
            report.checks[3].detail.contains("has no status log"),
            "{report:?}"
        );
        drop(dir);
    }

    /// A status change that names no line (a foreign key before schema version 11) is found.
    #[test]
    fn a_status_change_of_no_line_is_found() {
        let (dir, store, _company) = seeded();
        let path = store.path().to_path_buf();
        store
            .connection()
            .execute_batch(
                "INSERT INTO status_events (company, at, old, new, cause) \
                 SELECT key, '2026-05-04T09:00:00', NULL, 'blank', 'suggest' FROM companies;
                 INSERT INTO status_changes (event, line) VALUES (1, 999);",
            )
            .unwrap();
        drop(store);
        let report = verify_database(&path).unwrap();
        let i11 = report
            .checks
            .iter()
            .find(|c| c.name == "I11 no row refers across companies")
            .unwrap();
        assert!(!i11.ok, "{report:?}");
        assert!(
            i11.detail
                .contains("1 status log entries of another company's line or of no line"),
            "{i11:?}"
        );
        drop(dir);
    }

    /// Offsets that are not a JSON array (which a CHECK refused before schema version 6) are
    /// found, as is a draft line whose account is no debtor (a foreign key before).
    #[test]
    fn malformed_offsets_and_unknown_accounts_are_found() {
        let (dir, store, _company) = seeded();
        let path = store.path().to_path_buf();
        let conn = store.connection();
        for (offsets, account) in [
            ("[\"5001\"]", None),
            ("not json", None),
            ("{}", Some("nobody")),
        ] {
            conn.execute(
                "INSERT INTO journal_lines (company, journal, date, account, text, amount, \
                 offset_account, offsets, source) SELECT key, 'Day', '2026-07-01', ?1, 'x', 100, \
                 '5850', ?2, 'test' FROM companies",
                (account, offsets),
            )
            .unwrap();
        }
        drop(store);
        let report = verify_database(&path).unwrap();
        assert_eq!(
            failing(&report),
            [
                "I11 journal and ledger rows stay in their company",
                "journal and ledger offsets are JSON arrays"
            ]
        );
        let offsets = report.checks.last().unwrap();
        assert!(
            offsets
                .detail
                .contains("2 journal lines whose offsets are not a JSON array"),
            "{report:?}"
        );
        drop(dir);
    }
}
