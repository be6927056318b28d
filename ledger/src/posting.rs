//! Posting journal drafts: ledger transactions, settlement of entries, the draft emptied.

use crate::draft::{line_from_row, SELECT_LINE};
use crate::error::{JournalError, Result};
use crate::journal::{
    AccountKind, JournalLine, LedgerTransaction, PostedLine, Posting, PostingReport, Settlement,
};
use crate::ledger::{chain, CHAIN_START};
use crate::settlement::{allocate, AllocationError, Item};
use crate::sql::{
    atomically, format_date, format_time, offsets_from_json, offsets_to_json, truncate_to_second,
};
use crate::Amount;
use chrono::NaiveDateTime;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction};
use std::collections::{HashMap, HashSet};

/// How many draft lines are read into memory at a time.
const CHUNK_LINES: i64 = 10_000;

/// Posts the company's draft lines of `journal` (or of every journal) that do not need
/// attention, in line id order, and returns what it did.
///
/// For each line it writes one ledger transaction of two postings: the line's amount on the
/// debtor account and the opposite amount on the offset account, so every transaction
/// balances (I1). It settles the entries its offsets name — the debtor account's entries whose
/// invoice number is one of them — by the rule of the `settlement` module: a payment lowers
/// their remaining amounts, oldest due date first (an entry at zero is closed); a charge-back
/// raises them again, re-opening settled entries, never past their amount. It writes each
/// change of an entry to the transaction's settlements, and takes the line out of the draft.
/// A line of amount zero (an approved "unsubscribed" notice) moves no money: it is taken out
/// of the draft without a transaction. Ledger rows are only ever inserted (I2).
///
/// Lines that need attention stay in the draft (counted in the report). Refused, with
/// nothing changed, when there is nothing to post ([`JournalError::NothingToPost`]), or when
/// any line names an invoice the debtor has no entry for ([`JournalError::UnknownInvoice`]),
/// pays an invoice already settled ([`JournalError::InvoiceSettled`]), or moves more than its
/// entries can take ([`JournalError::Overpayment`], [`JournalError::ExcessDebit`]). Lines are
/// posted in order, so two lines naming the same invoice see each other's settlement.
///
/// `posted_at` is recorded to the second.
pub fn post(
    tx: &Transaction<'_>,
    company: i64,
    journal: Option<&str>,
    posted_at: NaiveDateTime,
) -> Result<PostingReport> {
    let posted_at = truncate_to_second(posted_at);
    let (postable, attention) = count_lines(tx, company, journal)?;
    if postable == 0 {
        return Err(JournalError::NothingToPost {
            journal: journal.map(str::to_string),
            attention,
        });
    }
    atomically(tx, || {
        let mut entries = NamedEntries::load(tx, company, journal)?;
        let mut ledger = LedgerWriter::open(tx, company, posted_at)?;
        let mut report = PostingReport {
            attention,
            ..PostingReport::default()
        };
        let mut after = 0;
        loop {
            let lines = postable_lines(tx, company, journal, after)?;
            let Some(last) = lines.last() else { break };
            after = last.id;
            for line in lines {
                let settlements = entries.settle(&line)?;
                let posted = ledger.write(&line, settlements, &mut report.settlements)?;
                report.posted.push(posted);
            }
        }
        entries.write_back(tx, company)?;
        Ok(report)
    })
}

/// The number of lines that can be posted and of those that need attention.
fn count_lines(conn: &Connection, company: i64, journal: Option<&str>) -> Result<(usize, usize)> {
    let counts = |row: &rusqlite::Row<'_>| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?));
    let (postable, attention) = match journal {
        Some(journal) => conn
            .prepare_cached(
                "SELECT coalesce(sum(attention = 0), 0), coalesce(sum(attention), 0) \
                 FROM journal_lines WHERE company = ?1 AND journal = ?2",
            )?
            .query_row((company, journal), counts)?,
        None => conn
            .prepare_cached(
                "SELECT coalesce(sum(attention = 0), 0), coalesce(sum(attention), 0) \
                 FROM journal_lines WHERE company = ?1",
            )?
            .query_row([company], counts)?,
    };
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok((count(postable), count(attention)))
}

/// The next lines to post after line id `after`, at most [`CHUNK_LINES`].
fn postable_lines(
    conn: &Connection,
    company: i64,
    journal: Option<&str>,
    after: i64,
) -> Result<Vec<JournalLine>> {
    let mut lines = Vec::new();
    let mut collect = |mut rows: rusqlite::Rows<'_>| -> Result<()> {
        while let Some(row) = rows.next()? {
            lines.push(line_from_row(row)?);
        }
        Ok(())
    };
    match journal {
        Some(journal) => collect(
            conn.prepare_cached(&format!(
                "{SELECT_LINE} WHERE company = ?1 AND journal = ?2 AND attention = 0 \
                 AND id > ?3 ORDER BY id LIMIT ?4"
            ))?
            .query((company, journal, after, CHUNK_LINES))?,
        )?,
        None => collect(
            conn.prepare_cached(&format!(
                "{SELECT_LINE} WHERE company = ?1 AND attention = 0 \
                 AND id > ?2 ORDER BY id LIMIT ?3"
            ))?
            .query((company, after, CHUNK_LINES))?,
        )?,
    }
    Ok(lines)
}

/// An entry some line to post names, as it stands during the posting.
struct NamedEntry {
    entry_id: String,
    due_date: String,
    amount: Amount,
    /// After the lines posted so far.
    remaining: Amount,
    /// As stored when the posting began.
    stored: Amount,
}

impl NamedEntry {
    fn item(&self) -> Item {
        Item {
            amount: self.amount,
            remaining: self.remaining,
        }
    }
}

/// The entries the lines to post name, by debtor account and invoice number, each list in
/// settlement order (due date, then entry id).
struct NamedEntries {
    by_debtor: HashMap<String, HashMap<String, Vec<NamedEntry>>>,
}

impl NamedEntries {
    /// Collects the (debtor, invoice) pairs the lines name, then reads the company's entries
    /// once and keeps those of the pairs: one scan, whatever the number of lines, and no
    /// index on the entries to keep up on every import.
    fn load(conn: &Connection, company: i64, journal: Option<&str>) -> Result<NamedEntries> {
        let mut by_debtor: HashMap<String, HashMap<String, Vec<NamedEntry>>> = HashMap::new();
        let mut add_pairs = |mut rows: rusqlite::Rows<'_>| -> Result<()> {
            while let Some(row) = rows.next()? {
                let account: String = row.get(0)?;
                let offsets: String = row.get(1)?;
                let invoices = by_debtor.entry(account).or_default();
                for invoice in offsets_from_json(&offsets)? {
                    invoices.entry(invoice).or_default();
                }
            }
            Ok(())
        };
        let named = "attention = 0 AND amount <> 0 AND offsets <> '[]'";
        match journal {
            Some(journal) => add_pairs(
                conn.prepare_cached(&format!(
                    "SELECT account, offsets FROM journal_lines \
                     WHERE company = ?1 AND journal = ?2 AND {named}"
                ))?
                .query((company, journal))?,
            )?,
            None => add_pairs(
                conn.prepare_cached(&format!(
                    "SELECT account, offsets FROM journal_lines WHERE company = ?1 AND {named}"
                ))?
                .query([company])?,
            )?,
        }
        if by_debtor.is_empty() {
            return Ok(NamedEntries { by_debtor });
        }
        let mut statement = conn.prepare_cached(
            "SELECT entry_id, debtor, invoice, due_date, amount, remaining FROM entries \
             WHERE company = ?1 AND invoice IS NOT NULL",
        )?;
        let mut rows = statement.query([company])?;
        while let Some(row) = rows.next()? {
            let debtor = text(row.get_ref(1)?, "entries.debtor")?;
            let invoice = text(row.get_ref(2)?, "entries.invoice")?;
            let wanted = by_debtor
                .get_mut(debtor)
                .and_then(|invoices| invoices.get_mut(invoice));
            if let Some(entries) = wanted {
                let remaining = Amount::from_ore(row.get(5)?);
                entries.push(NamedEntry {
                    entry_id: row.get(0)?,
                    due_date: row.get(3)?,
                    amount: Amount::from_ore(row.get(4)?),
                    remaining,
                    stored: remaining,
                });
            }
        }
        for entries in by_debtor.values_mut().flat_map(HashMap::values_mut) {
            entries.sort_by(|a, b| (&a.due_date, &a.entry_id).cmp(&(&b.due_date, &b.entry_id)));
        }
        Ok(NamedEntries { by_debtor })
    }

    /// Settles the entries `line` names and returns the changes, in settlement order.
    fn settle(&mut self, line: &JournalLine) -> Result<Vec<Settlement>> {
        if line.amount.is_zero() || line.offsets.is_empty() {
            return Ok(Vec::new());
        }
        let account = line_account(line)?;
        let invoices = self.by_debtor.get_mut(account);
        for invoice in &line.offsets {
            let entries = invoices
                .as_deref()
                .and_then(|invoices| invoices.get(invoice))
                .filter(|entries| !entries.is_empty())
                .ok_or_else(|| JournalError::UnknownInvoice {
                    line: line.id,
                    account: account.to_string(),
                    invoice: invoice.clone(),
                })?;
            if line.amount.is_negative() && !entries.iter().any(|e| e.item().can_take_credit()) {
                return Err(JournalError::InvoiceSettled {
                    line: line.id,
                    account: account.to_string(),
                    invoice: invoice.clone(),
                });
            }
        }
        let Some(invoices) = invoices else {
            return Ok(Vec::new());
        };
        let offsets: HashSet<&str> = line.offsets.iter().map(String::as_str).collect();
        let mut named: Vec<(&String, &mut NamedEntry)> = invoices
            .iter_mut()
            .filter(|(invoice, _)| offsets.contains(invoice.as_str()))
            .flat_map(|(invoice, entries)| entries.iter_mut().map(move |e| (invoice, e)))
            .collect();
        named.sort_by(|(_, a), (_, b)| (&a.due_date, &a.entry_id).cmp(&(&b.due_date, &b.entry_id)));
        let items: Vec<Item> = named.iter().map(|(_, e)| e.item()).collect();
        let after = allocate(line.amount, &items).map_err(|e| refusal(line, account, e))?;
        let mut settlements = Vec::new();
        for ((invoice, entry), remaining) in named.into_iter().zip(after) {
            if remaining != entry.remaining {
                settlements.push(Settlement {
                    transaction: 0,
                    entry_id: entry.entry_id.clone(),
                    invoice: invoice.clone(),
                    remaining_before: entry.remaining,
                    remaining_after: remaining,
                });
                entry.remaining = remaining;
            }
        }
        Ok(settlements)
    }

    /// Writes the entries' new remaining amounts. Each update checks that the entry still
    /// holds what was read, which it must inside the caller's write transaction.
    fn write_back(&self, conn: &Connection, company: i64) -> Result<()> {
        let mut update = conn.prepare_cached(
            "UPDATE entries SET remaining = ?1 WHERE company = ?2 AND entry_id = ?3 AND remaining = ?4",
        )?;
        for entry in self
            .by_debtor
            .values()
            .flat_map(HashMap::values)
            .flatten()
            .filter(|e| e.remaining != e.stored)
        {
            let changed = update.execute((
                entry.remaining.ore(),
                company,
                &entry.entry_id,
                entry.stored.ore(),
            ))?;
            if changed != 1 {
                return Err(JournalError::Corrupt(format!(
                    "entry '{}' changed while it was being settled",
                    entry.entry_id
                )));
            }
        }
        Ok(())
    }
}

fn text<'a>(value: ValueRef<'a>, what: &str) -> Result<&'a str> {
    value
        .as_str()
        .map_err(|_| JournalError::Corrupt(format!("{what} is not text")))
}

fn line_account(line: &JournalLine) -> Result<&str> {
    line.account.as_deref().ok_or_else(|| {
        JournalError::Corrupt(format!(
            "journal line {} has no account but was posted",
            line.id
        ))
    })
}

fn refusal(line: &JournalLine, account: &str, error: AllocationError) -> JournalError {
    let amount = line.amount.checked_abs().unwrap_or(line.amount);
    let invoices = line.offsets.join(", ");
    match error {
        AllocationError::Excess(excess) if line.amount.is_negative() => JournalError::Overpayment {
            line: line.id,
            account: account.to_string(),
            amount,
            excess,
            invoices,
        },
        AllocationError::Excess(excess) => JournalError::ExcessDebit {
            line: line.id,
            account: account.to_string(),
            amount,
            excess,
            invoices,
        },
        AllocationError::Overflow => JournalError::Overflow { line: line.id },
    }
}

/// Writes ledger transactions, numbering and chaining them.
struct LedgerWriter<'c> {
    conn: &'c Connection,
    company: i64,
    posted_at: NaiveDateTime,
    last_id: i64,
    last_chain: String,
}

impl<'c> LedgerWriter<'c> {
    fn open(
        conn: &'c Connection,
        company: i64,
        posted_at: NaiveDateTime,
    ) -> Result<LedgerWriter<'c>> {
        let last = conn
            .prepare_cached(
                "SELECT id, chain FROM ledger_transactions WHERE company = ?1 \
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([company], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let (last_id, last_chain) = last.unwrap_or((0, CHAIN_START.to_string()));
        Ok(LedgerWriter {
            conn,
            company,
            posted_at,
            last_id,
            last_chain,
        })
    }

    /// Writes `line`'s transaction (none for a line of amount zero), takes the line out of
    /// the draft, and appends the settlements, numbered, to `report`.
    fn write(
        &mut self,
        line: &JournalLine,
        mut settlements: Vec<Settlement>,
        report: &mut Vec<Settlement>,
    ) -> Result<PostedLine> {
        let account = line_account(line)?;
        let transaction = if line.amount.is_zero() {
            None
        } else {
            let offset_account = line.offset_account.as_deref().ok_or_else(|| {
                JournalError::Corrupt(format!(
                    "journal line {} has no offset account but was posted",
                    line.id
                ))
            })?;
            let id = self.last_id + 1;
            for settlement in &mut settlements {
                settlement.transaction = id;
            }
            report.extend(settlements.iter().cloned());
            // Stored in key order, so hashed in key order.
            settlements.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
            let opposite = line
                .amount
                .checked_neg()
                .ok_or(JournalError::Overflow { line: line.id })?;
            let transaction = LedgerTransaction {
                id,
                journal: line.journal.clone(),
                date: line.date,
                posted_at: self.posted_at,
                journal_line: line.id,
                text: line.text.clone(),
                offsets: line.offsets.clone(),
                source: line.source.clone(),
                postings: vec![
                    Posting {
                        account_kind: AccountKind::Debtor,
                        account: account.to_string(),
                        amount: line.amount,
                    },
                    Posting {
                        account_kind: AccountKind::General,
                        account: offset_account.to_string(),
                        amount: opposite,
                    },
                ],
                settlements,
            };
            let chain = chain(&self.last_chain, &transaction);
            self.insert(&transaction, &chain)?;
            self.last_id = id;
            self.last_chain = chain;
            Some(id)
        };
        self.conn
            .prepare_cached("DELETE FROM journal_lines WHERE company = ?1 AND id = ?2")?
            .execute((self.company, line.id))?;
        Ok(PostedLine {
            line: line.id,
            journal: line.journal.clone(),
            account: account.to_string(),
            amount: line.amount,
            transaction,
        })
    }

    /// Postings and settlements first, the transaction row last: its trigger checks that the
    /// postings balance (I1).
    fn insert(&self, transaction: &LedgerTransaction, chain: &str) -> Result<()> {
        let mut posting = self.conn.prepare_cached(
            "INSERT INTO ledger_postings (company, txn, position, account_kind, account, amount) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (position, p) in (1..).zip(&transaction.postings) {
            posting.execute((
                self.company,
                transaction.id,
                position,
                p.account_kind.as_str(),
                &p.account,
                p.amount.ore(),
            ))?;
        }
        let mut settlement = self.conn.prepare_cached(
            "INSERT INTO ledger_settlements (company, txn, entry_id, invoice, remaining_before, \
             remaining_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for s in &transaction.settlements {
            settlement.execute((
                self.company,
                transaction.id,
                &s.entry_id,
                &s.invoice,
                s.remaining_before.ore(),
                s.remaining_after.ore(),
            ))?;
        }
        self.conn
            .prepare_cached(
                "INSERT INTO ledger_transactions (company, id, journal, date, posted_at, \
                 journal_line, text, offsets, source, chain) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute((
                self.company,
                transaction.id,
                &transaction.journal,
                format_date(transaction.date),
                format_time(transaction.posted_at),
                transaction.journal_line,
                &transaction.text,
                offsets_to_json(&transaction.offsets),
                &transaction.source,
                chain,
            ))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
