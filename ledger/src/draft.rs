//! Journal drafts in the database: adding lines, listing them, a person's fix of a line (its
//! debtor account, its offset account).
//!
//! Every function takes the company (the `companies.key`) and touches only that company's
//! lines (I11). Writers take the caller's transaction (the engine begins it `IMMEDIATE` and
//! commits it) and decide every refusal before they write, so a refused call changes
//! nothing; after a database error the caller rolls its transaction back.

use crate::error::{JournalError, Result};
use crate::journal::{JournalLine, NewJournalLine};
use crate::sql::{
    format_date, iso_date_from_bytes, offsets_from_json, offsets_to_json, parse_date,
    ROWS_PER_INSERT,
};
use crate::{Amount, FastSet};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row};
use std::collections::HashSet;

/// Adds lines to the company's journal drafts, in the order given, and returns their ids.
///
/// Refused whole ([`JournalError::InvalidLine`], [`JournalError::UnknownDebtor`]) when a
/// line has an empty journal name, an empty account or offset account (`None` says "not
/// known"), an amount that cannot be negated (`i64::MIN` øre), an empty or repeated invoice
/// number in its offsets, or an account that is not one of the company's debtors. "Transfer to draft" of payment lines by hand is this same
/// call with lines the engine builds.
pub fn add_draft_lines(
    tx: &Connection,
    company: i64,
    lines: &[NewJournalLine],
) -> Result<Vec<i64>> {
    DraftWriter::new(tx, company).add(lines)
}

/// [`add_draft_lines`] in several calls within one transaction, for a caller that hands its
/// lines over in batches (an import of a bank file, ten thousand answers at a time): a
/// debtor account found for one call is not looked up again in the next (at a million
/// entries, 434,000 lines name 200,000 debtors). For a transaction that removes no debtor
/// while the writer is in use.
pub struct DraftWriter<'c> {
    tx: &'c Connection,
    company: i64,
    /// Accounts found among the company's debtors by an earlier call.
    debtors: FastSet<String>,
}

impl<'c> DraftWriter<'c> {
    pub fn new(tx: &'c Connection, company: i64) -> Self {
        DraftWriter {
            tx,
            company,
            debtors: FastSet::default(),
        }
    }

    /// [`add_draft_lines`] of `lines`: refused whole on the same rules, and nothing written.
    pub fn add(&mut self, lines: &[NewJournalLine]) -> Result<Vec<i64>> {
        let (tx, company) = (self.tx, self.company);
        // Every refusal is decided before the first insert, so a refused call writes
        // nothing. One statement for every debtor looked up: the statement cache would hash
        // its text and clear its bindings for each of them (a 0602 names a debtor per line).
        let mut debtor_query = None;
        for (i, line) in lines.iter().enumerate() {
            if let Some(reason) = invalid(line) {
                return Err(JournalError::InvalidLine {
                    index: i + 1,
                    reason,
                });
            }
            if let Some(account) = line.account.as_deref() {
                if !self.debtors.contains(account) {
                    let query = match &mut debtor_query {
                        Some(query) => query,
                        None => debtor_query.insert(tx.prepare(IS_DEBTOR)?),
                    };
                    if !query.exists((company, account))? {
                        return Err(JournalError::UnknownDebtor {
                            index: i + 1,
                            account: account.to_string(),
                        });
                    }
                    // Found stays found, even when a later line refuses the call.
                    self.debtors.insert(account.to_string());
                }
            }
        }
        drop(debtor_query);
        insert_draft_lines(tx, company, lines)
    }
}

/// Inserts `lines`, checked by [`DraftWriter::add`], and returns their ids.
fn insert_draft_lines(tx: &Connection, company: i64, lines: &[NewJournalLine]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(lines.len());
    let mut full = None;
    // Lines of a bank file share a few dates: each is formatted once per run of equal dates.
    let mut date: Option<(NaiveDate, String)> = None;
    for batch in lines.chunks(ROWS_PER_INSERT) {
        let Some(first) = batch.first() else {
            continue;
        };
        let mut short;
        let statement = if batch.len() == ROWS_PER_INSERT {
            match &mut full {
                Some(full) => full,
                None => full.insert(tx.prepare(&insert_lines_sql(ROWS_PER_INSERT))?),
            }
        } else {
            short = tx.prepare(&insert_lines_sql(batch.len()))?;
            &mut short
        };
        // Bound in place (SQLite copies each text as it is bound): no vector of the values.
        statement.raw_bind_parameter(1, company)?;
        statement.raw_bind_parameter(2, &first.journal)?;
        statement.raw_bind_parameter(3, format_date(first.date))?;
        for (row, line) in batch.iter().enumerate() {
            let at = row * INSERT_COLUMNS + SHARED_VALUES + 1;
            if line.journal != first.journal {
                statement.raw_bind_parameter(at, &line.journal)?;
            }
            if line.date != first.date {
                let date_text = match &date {
                    Some((day, text)) if *day == line.date => text.as_str(),
                    _ => date.insert((line.date, format_date(line.date))).1.as_str(),
                };
                statement.raw_bind_parameter(at + 1, date_text)?;
            }
            statement.raw_bind_parameter(at + 2, &line.account)?;
            statement.raw_bind_parameter(at + 3, &line.text)?;
            statement.raw_bind_parameter(at + 4, line.amount.ore())?;
            statement.raw_bind_parameter(at + 5, &line.offset_account)?;
            statement.raw_bind_parameter(at + 6, offsets_to_json(&line.offsets))?;
            statement.raw_bind_parameter(at + 7, &line.source)?;
        }
        statement.raw_execute()?;
        // The copies of the bound texts go now, and the journals and dates left unbound must
        // be NULL again for the next batch: held, the copies would fill SQLite's small-block
        // allocator (lookaside) and every other statement would allocate from the heap.
        statement.clear_bindings();
        // One statement inserts its rows in order, and AUTOINCREMENT gives each the next id:
        // the batch's ids are consecutive and end at the last one inserted.
        let last = tx.last_insert_rowid();
        let first = last + 1 - i64::try_from(batch.len()).unwrap_or(i64::MAX);
        ids.extend(first..=last);
    }
    Ok(ids)
}

const IS_DEBTOR: &str = "SELECT 1 FROM debtors WHERE company = ?1 AND account = ?2";

/// The values bound once for all rows of [`insert_lines_sql`]: the company, and the first
/// row's journal and date.
const SHARED_VALUES: usize = 3;

/// The values of a row of [`insert_lines_sql`].
const INSERT_COLUMNS: usize = 8;

/// `INSERT INTO journal_lines` of `rows` rows: the company is `?1`, the first row's journal
/// and date `?2` and `?3`; each row has [`INSERT_COLUMNS`] placeholders after those, its
/// journal and date left unbound (NULL, so `coalesce` takes the first row's) when they are
/// the first row's. The lines of a bank file nearly always share both, and binding a text
/// copies it (−0.8 % instructions of `import delivery` at 100,000).
fn insert_lines_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO journal_lines (company, journal, date, account, text, amount, \
         offset_account, offsets, source) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let p = row * INSERT_COLUMNS + SHARED_VALUES + 1;
        sql.push_str(&format!(
            "(?1, coalesce(?{p}, ?2), coalesce(?{}, ?3), ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6,
            p + 7
        ));
    }
    sql
}

/// Why a new line cannot go into the draft, if it cannot.
fn invalid(line: &NewJournalLine) -> Option<String> {
    if line.journal.trim().is_empty() {
        return Some("the journal name is empty".to_string());
    }
    if line.account.as_deref().is_some_and(|a| a.trim().is_empty()) {
        return Some("the account is empty (leave it out when it is not known)".to_string());
    }
    if line
        .offset_account
        .as_deref()
        .is_some_and(|a| a.trim().is_empty())
    {
        return Some("the offset account is empty (leave it out when it is not known)".to_string());
    }
    if line.amount.checked_neg().is_none() {
        return Some(format!("the amount {} is out of range", line.amount));
    }
    // Most lines settle one or a few invoices: those are compared pairwise, without a set.
    let mut seen = HashSet::new();
    for (i, offset) in line.offsets.iter().enumerate() {
        if offset.trim().is_empty() {
            return Some("an invoice number in the offsets is empty".to_string());
        }
        let repeated = if line.offsets.len() <= 8 {
            line.offsets
                .get(..i)
                .is_some_and(|before| before.contains(offset))
        } else {
            !seen.insert(offset.as_str())
        };
        if repeated {
            return Some(format!("invoice '{offset}' is in the offsets twice"));
        }
    }
    None
}

/// The company's draft lines, of one journal or of all, in id order (the order they were
/// added, which is the order `post` posts them in).
pub fn draft_lines(
    conn: &Connection,
    company: i64,
    journal: Option<&str>,
) -> Result<Vec<JournalLine>> {
    let mut lines = Vec::new();
    match journal {
        Some(journal) => {
            let mut statement = conn.prepare_cached(&format!(
                "{SELECT_LINE} WHERE company = ?1 AND journal = ?2 ORDER BY id"
            ))?;
            let mut rows = statement.query((company, journal))?;
            while let Some(row) = rows.next()? {
                lines.push(line_from_row(row)?);
            }
        }
        None => {
            let mut statement =
                conn.prepare_cached(&format!("{SELECT_LINE} WHERE company = ?1 ORDER BY id"))?;
            let mut rows = statement.query([company])?;
            while let Some(row) = rows.next()? {
                lines.push(line_from_row(row)?);
            }
        }
    }
    Ok(lines)
}

/// One draft line of the company.
pub fn draft_line(conn: &Connection, company: i64, line: i64) -> Result<JournalLine> {
    let mut statement =
        conn.prepare_cached(&format!("{SELECT_LINE} WHERE company = ?1 AND id = ?2"))?;
    let mut rows = statement.query((company, line))?;
    match rows.next()? {
        Some(row) => line_from_row(row),
        None => Err(JournalError::UnknownLine { line }),
    }
}

/// A person fixes a line: sets its debtor account and, by doing so, approves it.
///
/// The account must be one of the company's debtors (the line's amount is on a debtor
/// account; the offset account is the line's other side and is not changed here). Afterwards
/// the line is `fixed_by_person` and `post` posts it even though its text starts with `(!)`.
/// Refused with [`JournalError::UnknownLine`] for a line the company does not have,
/// [`JournalError::EmptyAccount`] and [`JournalError::UnknownAccount`]. Returns the line as
/// it is now.
pub fn set_account(tx: &Connection, company: i64, line: i64, account: &str) -> Result<JournalLine> {
    require_line(tx, company, line)?;
    if account.trim().is_empty() {
        return Err(JournalError::EmptyAccount { line });
    }
    if !is_debtor(tx, company, account)? {
        return Err(JournalError::UnknownAccount {
            line,
            account: account.to_string(),
        });
    }
    tx.prepare_cached(
        "UPDATE journal_lines SET account = ?1, fixed_by_person = 1 \
         WHERE company = ?2 AND id = ?3",
    )?
    .execute((account, company, line))?;
    draft_line(tx, company, line)
}

/// A person sets a line's offset account: the general-ledger account its amount balances
/// against, typically the bank account (a line imported for a payment format without a bank
/// account has none, and is never posted without one).
///
/// The account is a general-ledger account, not a debtor, so it is not looked up among the
/// debtors. This is not an approval: the line is not marked `fixed_by_person`, so a line whose
/// text starts with `(!)` still needs [`set_account`] before it is posted. Refused with
/// [`JournalError::UnknownLine`] for a line the company does not have and
/// [`JournalError::EmptyOffsetAccount`]. Returns the line as it is now.
pub fn set_offset_account(
    tx: &Connection,
    company: i64,
    line: i64,
    account: &str,
) -> Result<JournalLine> {
    require_line(tx, company, line)?;
    if account.trim().is_empty() {
        return Err(JournalError::EmptyOffsetAccount { line });
    }
    tx.prepare_cached(
        "UPDATE journal_lines SET offset_account = ?1 WHERE company = ?2 AND id = ?3",
    )?
    .execute((account, company, line))?;
    draft_line(tx, company, line)
}

/// [`JournalError::UnknownLine`] unless the company has the draft line.
fn require_line(tx: &Connection, company: i64, line: i64) -> Result<()> {
    let exists = tx
        .prepare_cached("SELECT 1 FROM journal_lines WHERE company = ?1 AND id = ?2")?
        .query_row((company, line), |_| Ok(()))
        .optional()?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(JournalError::UnknownLine { line })
    }
}

fn is_debtor(conn: &Connection, company: i64, account: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(IS_DEBTOR)?
        .query_row((company, account), |_| Ok(()))
        .optional()?
        .is_some())
}

/// The columns [`line_from_row`] reads, in its order.
pub(crate) const SELECT_LINE: &str = "SELECT id, journal, date, account, text, amount, \
     offset_account, offsets, attention, source, fixed_by_person FROM journal_lines";

pub(crate) fn line_from_row(row: &Row<'_>) -> Result<JournalLine> {
    let id: i64 = row.get(0)?;
    let date: String = row.get(2)?;
    let offsets: String = row.get(7)?;
    Ok(JournalLine {
        id,
        journal: row.get(1)?,
        // The error's text is made only on an error: posting reads a million lines.
        date: match iso_date_from_bytes(date.as_bytes()) {
            Some(date) => date,
            None => parse_date(&date, &format!("journal line {id}"))?,
        },
        account: row.get(3)?,
        text: row.get(4)?,
        amount: Amount::from_ore(row.get(5)?),
        offset_account: row.get(6)?,
        offsets: offsets_from_json(&offsets)?,
        attention: row.get(8)?,
        source: row.get(9)?,
        fixed_by_person: row.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{date, line, refused, TestDb};

    fn seeded() -> TestDb {
        let mut db = TestDb::new();
        db.entries(1, "E1 100100 2026-07-01 5001 1000.00");
        db.debtor(1, "100101");
        db
    }

    #[test]
    fn lines_added_are_listed_as_given() {
        let mut db = seeded();
        let ids = db.lines(
            1,
            "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001|file 12, line 5
             Day|2026-07-02|-|(!) M:999999|-20.00|5850|-|file 12, line 6
             LS|2026-07-03|100101|(!) Unsubscribed (0237)|0|5851|a\"b c|file 13, line 2",
        );
        assert_eq!(ids.len(), 3);
        assert!(ids[0] < ids[1] && ids[1] < ids[2]);
        let listed = draft_lines(&db.conn, 1, None).unwrap();
        assert_eq!(
            listed[0],
            JournalLine {
                id: ids[0],
                journal: "Day".to_string(),
                date: date("2026-07-01"),
                account: Some("100100".to_string()),
                text: "BS 5001".to_string(),
                amount: Amount::from_ore(-100000),
                offset_account: Some("5850".to_string()),
                offsets: vec!["5001".to_string()],
                attention: false,
                source: "file 12, line 5".to_string(),
                fixed_by_person: false,
            }
        );
        assert_eq!(listed[1].account, None);
        assert_eq!(listed[1].offsets, Vec::<String>::new());
        assert!(listed[1].attention);
        assert_eq!(listed[2].offsets, vec!["a\"b", "c"]);
        assert!(listed[2].attention);
        // One journal only.
        let day: Vec<i64> = draft_lines(&db.conn, 1, Some("Day"))
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(day, ids[..2]);
        assert!(draft_lines(&db.conn, 1, Some("Nope")).unwrap().is_empty());
        assert_eq!(draft_line(&db.conn, 1, ids[2]).unwrap(), listed[2]);
    }

    #[test]
    fn the_stored_attention_flag_is_the_rust_rule() {
        let mut db = seeded();
        let texts = ["BS 5001", "(!) BS 5001", " (!) x", "(!)", "(!"];
        let accounts = [Some("100100"), None];
        let offsets = [Some("5850"), None];
        for text in texts {
            for account in accounts {
                for offset in offsets {
                    let new = NewJournalLine {
                        journal: "Day".to_string(),
                        date: date("2026-07-01"),
                        account: account.map(str::to_string),
                        text: text.to_string(),
                        amount: Amount::from_ore(-100),
                        offset_account: offset.map(str::to_string),
                        offsets: vec![],
                        source: String::new(),
                    };
                    let tx = db.write();
                    let id = add_draft_lines(&tx, 1, std::slice::from_ref(&new)).unwrap()[0];
                    let stored = draft_line(&tx, 1, id).unwrap();
                    assert_eq!(stored.attention, new.needs_attention(), "{new:?}");
                    let fixed = set_account(&tx, 1, id, "100101").unwrap();
                    assert_eq!(
                        fixed.attention,
                        crate::needs_attention(text, true, Some("100101"), offset),
                        "{new:?} fixed"
                    );
                    let banked = set_offset_account(&tx, 1, id, "5851").unwrap();
                    assert_eq!(
                        banked.attention,
                        crate::needs_attention(text, true, Some("100101"), Some("5851")),
                        "{new:?} fixed, with an offset account"
                    );
                    // Without a person's approval: only the offset account set.
                    let id = add_draft_lines(&tx, 1, std::slice::from_ref(&new)).unwrap()[0];
                    let banked = set_offset_account(&tx, 1, id, "5851").unwrap();
                    assert_eq!(
                        banked.attention,
                        crate::needs_attention(text, false, account, Some("5851")),
                        "{new:?} with an offset account"
                    );
                    tx.commit().unwrap();
                }
            }
        }
    }

    #[test]
    fn invalid_lines_are_refused_whole() {
        let mut db = seeded();
        let good = line("Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001");
        let cases: &[(&str, &str)] = &[
            (" |2026-07-01|100100|x|1|5850|-", "journal line 2 of those to add is invalid: the journal name is empty; no line was added"),
            ("Day|2026-07-01| |x|1|5850|-", "journal line 2 of those to add is invalid: the account is empty (leave it out when it is not known); no line was added"),
            ("Day|2026-07-01|100100|x|1| |-", "journal line 2 of those to add is invalid: the offset account is empty (leave it out when it is not known); no line was added"),
            ("Day|2026-07-01|100100|x|1|5850|5001 5001", "journal line 2 of those to add is invalid: invoice '5001' is in the offsets twice; no line was added"),
            ("Day|2026-07-01|999999|x|1|5850|-", "journal line 2 of those to add names debtor account '999999', which this company does not have: import the debtor first; no line was added"),
        ];
        for (bad, expected) in cases {
            let lines = [good.clone(), line(bad)];
            let message = refused(&mut db, |tx| add_draft_lines(tx, 1, &lines));
            assert_eq!(&message, expected, "{bad}");
        }
        // An empty offset cannot be written in the text form.
        let mut empty_offset = good.clone();
        empty_offset.offsets = vec![String::new()];
        let message = refused(&mut db, |tx| add_draft_lines(tx, 1, &[empty_offset]));
        assert!(
            message.contains("an invoice number in the offsets is empty"),
            "{message}"
        );
        // Nor an amount that posting could not negate.
        let mut smallest = good.clone();
        smallest.amount = Amount::from_ore(i64::MIN);
        let message = refused(&mut db, |tx| add_draft_lines(tx, 1, &[smallest]));
        assert_eq!(message, "journal line 1 of those to add is invalid: the amount -92233720368547758.08 is out of range; no line was added");
    }

    /// The first line refused is named, whichever rule it breaks, also among many accounts.
    #[test]
    fn the_first_line_refused_is_named() {
        let mut db = seeded();
        let good = "Day|2026-07-01|100100|x|1|5850|-";
        let unknown = "Day|2026-07-01|999999|x|1|5850|-";
        let invalid = " |2026-07-01|100100|x|1|5850|-";
        let unknown_on = |n: usize| {
            format!("journal line {n} of those to add names debtor account '999999', which this company does not have: import the debtor first; no line was added")
        };
        let invalid_on = |n: usize| {
            format!("journal line {n} of those to add is invalid: the journal name is empty; no line was added")
        };
        for (texts, expected) in [
            (vec![good, unknown, invalid], unknown_on(2)),
            (vec![good, invalid, unknown], invalid_on(2)),
            (vec![unknown, good, unknown], unknown_on(1)),
        ] {
            let lines: Vec<_> = texts.iter().map(|text| line(text)).collect();
            let message = refused(&mut db, |tx| add_draft_lines(tx, 1, &lines));
            assert_eq!(message, expected, "{texts:?}");
        }
        // 250 debtors, each named twice, and one unknown account among them.
        for n in 0..250 {
            db.debtor(1, &format!("D{n:03}"));
        }
        let mut lines: Vec<_> = (0..500)
            .map(|n| line(&format!("Day|2026-07-01|D{:03}|x|1|5850|-", n % 250)))
            .collect();
        let tx = db.write();
        assert_eq!(add_draft_lines(&tx, 1, &lines).unwrap().len(), 500);
        drop(tx);
        lines.insert(321, line(unknown));
        let message = refused(&mut db, |tx| add_draft_lines(tx, 1, &lines));
        assert_eq!(message, unknown_on(322));
    }

    /// A writer's calls add their lines in order, each call on the rules of
    /// `add_draft_lines`: a refused call (an unknown debtor among debtors found by the call
    /// before) adds none of its lines and leaves the earlier calls' lines.
    #[test]
    fn a_draft_writer_adds_batch_after_batch_and_refuses_one_whole() {
        let mut db = seeded();
        let batch = |accounts: &[&str]| -> Vec<NewJournalLine> {
            accounts
                .iter()
                .map(|account| line(&format!("Day|2026-07-01|{account}|x|1|5850|-")))
                .collect()
        };
        let tx = db.write();
        let mut writer = DraftWriter::new(&tx, 1);
        let first = writer.add(&batch(&["100100", "100101"])).unwrap();
        let second = writer.add(&batch(&["100101", "100100", "100101"])).unwrap();
        assert_eq!(second.len(), 3);
        assert!(first.iter().chain(&second).is_sorted());
        let refused = writer.add(&batch(&["100100", "999999"])).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "journal line 2 of those to add names debtor account '999999', which this company does not have: import the debtor first; no line was added"
        );
        let accounts: Vec<Option<String>> = draft_lines(&tx, 1, None)
            .unwrap()
            .into_iter()
            .map(|l| l.account)
            .collect();
        let named = |a: &str| Some(a.to_string());
        assert_eq!(
            accounts,
            [
                named("100100"),
                named("100101"),
                named("100101"),
                named("100100"),
                named("100101")
            ]
        );
    }

    #[test]
    fn set_account_fixes_and_approves_a_line() {
        let mut db = seeded();
        let ids = db.lines(
            1,
            "Day|2026-07-02|-|(!) M:999999|-20.00|5850|-
             Day|2026-07-02|100100|(!) BS 5001|-600.00|5850|5001",
        );
        let tx = db.write();
        let fixed = set_account(&tx, 1, ids[0], "100101").unwrap();
        assert_eq!(fixed.account.as_deref(), Some("100101"));
        assert!(fixed.fixed_by_person);
        assert!(!fixed.attention);
        assert_eq!(fixed.text, "(!) M:999999", "the bank's text stays");
        // Approving a line keeps its account.
        let approved = set_account(&tx, 1, ids[1], "100100").unwrap();
        assert!(!approved.attention);
        tx.commit().unwrap();
        assert_eq!(draft_lines(&db.conn, 1, None).unwrap()[0], fixed);
    }

    #[test]
    fn set_account_refusals_change_nothing() {
        let mut db = seeded();
        let ids = db.lines(1, "Day|2026-07-02|-|(!) M:999999|-20.00|5850|-");
        let id = ids[0];
        let cases = [
            (id + 100, "100100", format!("no journal line {} in this company: list the journal draft to see its lines", id + 100)),
            (id, "", format!("journal line {id}: the account is empty: give the debtor account the line belongs to")),
            (id, "  ", format!("journal line {id}: the account is empty: give the debtor account the line belongs to")),
            (id, "5850", format!("journal line {id}: no debtor account '5850' in this company: a journal line posts to a debtor account; import the debtor first or give an existing account")),
        ];
        for (line, account, expected) in cases {
            let message = refused(&mut db, |tx| set_account(tx, 1, line, account));
            assert_eq!(message, expected);
        }
    }

    #[test]
    fn set_offset_account_makes_a_line_postable() {
        let mut db = seeded();
        let ids = db.lines(
            1,
            "Day|2026-07-02|100100|BS 5001|-600.00|-|5001
             Day|2026-07-02|100100|(!) BS 5001|-100.00|-|5001",
        );
        assert!(draft_lines(&db.conn, 1, None)
            .unwrap()
            .iter()
            .all(|l| l.attention));
        let tx = db.write();
        let banked = set_offset_account(&tx, 1, ids[0], "5850").unwrap();
        assert_eq!(banked.offset_account.as_deref(), Some("5850"));
        assert_eq!(
            banked.account.as_deref(),
            Some("100100"),
            "the debtor stays"
        );
        assert!(!banked.attention);
        assert!(!banked.fixed_by_person, "not a person's approval");
        // A (!) line gets its offset account, but still waits for set_account.
        let marked = set_offset_account(&tx, 1, ids[1], "5850").unwrap();
        assert_eq!(marked.offset_account.as_deref(), Some("5850"));
        assert!(marked.attention);
        assert!(!marked.fixed_by_person);
        // Setting it again replaces it.
        let again = set_offset_account(&tx, 1, ids[1], "5851").unwrap();
        assert_eq!(again.offset_account.as_deref(), Some("5851"));
        tx.commit().unwrap();
        assert_eq!(draft_line(&db.conn, 1, ids[0]).unwrap(), banked);

        // Posting posts the line that now balances and leaves the (!) line.
        let tx = db.write();
        let report =
            crate::post(&tx, 1, None, crate::testing::time("2026-07-03T10:00:00")).unwrap();
        tx.commit().unwrap();
        assert_eq!(report.posted.len(), 1);
        assert_eq!(report.posted[0].line, ids[0]);
        assert_eq!(report.attention, 1);
        assert_eq!(db.remaining(1), "E1 400.00");
        let left: Vec<i64> = draft_lines(&db.conn, 1, None)
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(left, [ids[1]]);
    }

    #[test]
    fn set_offset_account_refusals_change_nothing() {
        let mut db = seeded();
        let ids = db.lines(1, "Day|2026-07-02|100100|BS 5001|-20.00|-|5001");
        let id = ids[0];
        let empty = format!("journal line {id}: the offset account is empty: give the general-ledger account the line balances against, e.g. the bank account");
        let cases = [
            (
                id + 100,
                "5850",
                format!(
                    "no journal line {} in this company: list the journal draft to see its lines",
                    id + 100
                ),
            ),
            (id, "", empty.clone()),
            (id, "  ", empty),
        ];
        for (line, account, expected) in cases {
            let message = refused(&mut db, |tx| set_offset_account(tx, 1, line, account));
            assert_eq!(message, expected);
        }
        let line = draft_line(&db.conn, 1, id).unwrap();
        assert_eq!(line.offset_account, None);
        assert!(line.attention);
    }

    #[test]
    fn companies_never_see_each_others_lines() {
        // I11
        let mut db = seeded();
        db.entries(2, "F1 100100 2026-07-01 5001 70.00");
        db.debtor(2, "200200");
        let mine = db.lines(1, "Day|2026-07-01|-|(!) M:1|-1.00|5850|-");
        let theirs = db.lines(2, "Day|2026-07-01|-|(!) M:2|-2.00|5850|-");
        let listed: Vec<i64> = draft_lines(&db.conn, 1, None)
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(listed, mine);
        let listed: Vec<i64> = draft_lines(&db.conn, 2, Some("Day"))
            .unwrap()
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(listed, theirs);
        // Company 1 cannot fix company 2's line, nor read it.
        let message = refused(&mut db, |tx| set_account(tx, 1, theirs[0], "100100"));
        assert_eq!(
            message,
            format!(
                "no journal line {} in this company: list the journal draft to see its lines",
                theirs[0]
            )
        );
        assert!(matches!(
            draft_line(&db.conn, 1, theirs[0]),
            Err(JournalError::UnknownLine { .. })
        ));
        // Nor give it an offset account.
        let message = refused(&mut db, |tx| set_offset_account(tx, 1, theirs[0], "5850"));
        assert_eq!(
            message,
            format!(
                "no journal line {} in this company: list the journal draft to see its lines",
                theirs[0]
            )
        );
        // Company 2's debtor is not an account of company 1.
        let message = refused(&mut db, |tx| set_account(tx, 1, mine[0], "200200"));
        assert!(
            message.contains("no debtor account '200200' in this company"),
            "{message}"
        );
        let their_debtor = [line("Day|2026-07-01|200200|x|1|5850|-")];
        let message = refused(&mut db, |tx| add_draft_lines(tx, 1, &their_debtor));
        assert!(
            message.contains("names debtor account '200200'"),
            "{message}"
        );
    }
}
