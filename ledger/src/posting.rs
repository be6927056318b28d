//! Posting journal drafts: ledger transactions, settlement of entries, the draft emptied.

use crate::draft::{line_from_row, SELECT_LINE};
use crate::error::{JournalError, Result};
use crate::journal::{
    AccountKind, JournalLine, LedgerTransaction, OnAccount, PostedLine, Posting, PostingReport,
    Settlement,
};
use crate::ledger::{chain, CHAIN_START};
use crate::settlement::{allocate, allocate_on_account, AllocationError, Item};
use crate::sql::{
    format_date, format_time, insert_rows, offsets_from_json, offsets_to_json, truncate_to_second,
};
use crate::{Amount, FastMap, Id};
use chrono::NaiveDateTime;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, ToSql};

/// How many draft lines are read into memory at a time; tiny in tests, so that every test
/// posting crosses chunk boundaries.
const CHUNK_LINES: i64 = if cfg!(test) { 2 } else { 10_000 };

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
/// A payment (a credit line) that a person approved as it is (`fixed_by_person`: `journal
/// set-account`) is never refused for what its entries can take: the money came in, as the
/// bank said. It settles what its named entries can take, and the rest stays on the debtor's
/// account, on no entry ([`PostingReport::on_account`]): a debtor who paid more than was
/// open, or paid an invoice twice, has that much to their credit. Before, such a line
/// refused every posting of its journal, and nothing a person could do changed that. Whether
/// the debtor is charged again stays with the lines' statuses, not the entries' remaining
/// amounts (a received line keeps its entry from being suggested), so the credit cannot
/// cause a second charge. A debit line (a charge-back, a rejection after the due date) of
/// more than was paid is still refused, approved or not: it usually takes back a payment
/// still in the draft, and booked first it would leave that invoice closed when the payment
/// comes, though nothing was paid.
///
/// Every refusal is decided before anything is written. A database error while writing
/// leaves the caller's transaction part-way: roll it back (the engine does, on any error).
/// `posted_at` is recorded to the second.
pub fn post(
    tx: &Connection,
    company: i64,
    journal: Option<&str>,
    posted_at: NaiveDateTime,
) -> Result<PostingReport> {
    let posted_at = truncate_to_second(posted_at);
    let (
        mut entries,
        Lines {
            postable,
            attention,
            settling,
            offsets,
        },
    ) = NamedEntries::load(tx, company, journal)?;
    if postable == 0 {
        return Err(JournalError::NothingToPost {
            journal: journal.map(str::to_string),
            attention,
        });
    }
    // First pass: every refusal is found before anything is written, so a refused posting
    // changes nothing.
    entries.check(&settling, &offsets)?;
    drop((settling, offsets));
    entries.reset();
    // Second pass: the same settlements again, written a chunk at a time.
    let mut ledger = LedgerWriter::open(tx, company, posted_at)?;
    let mut posted = Vec::with_capacity(postable);
    let mut on_account = Vec::new();
    for_each_chunk(tx, company, journal, |after, lines| {
        let (count, last) = (lines.len(), lines.last().map_or(after, |line| line.id));
        for line in lines {
            let mut settlements = Vec::new();
            let account = line_account(&line)?;
            let settling = Settling {
                id: line.id,
                account,
                amount: line.amount,
                offsets: &line.offsets,
                approved: line.fixed_by_person,
            };
            let left = entries.settle(&settling, Some(&mut settlements))?;
            if !left.is_zero() {
                on_account.push(OnAccount {
                    line: line.id,
                    account: account.to_string(),
                    amount: left,
                });
            }
            posted.push(ledger.add(line, settlements)?);
        }
        ledger.flush()?;
        remove_lines(tx, company, journal, after, last, count)
    })?;
    let (settled, closed, reopened) = entries.write_back(tx, company)?;
    Ok(PostingReport {
        posted,
        entries_settled: settled,
        entries_closed: closed,
        entries_reopened: reopened,
        attention,
        on_account,
    })
}

/// Calls `visit` with the lines that can be posted, in id order, a chunk at a time, and the
/// id the chunk starts after. `visit` may take the chunk's lines out of the draft.
fn for_each_chunk(
    conn: &Connection,
    company: i64,
    journal: Option<&str>,
    mut visit: impl FnMut(i64, Vec<JournalLine>) -> Result<()>,
) -> Result<()> {
    let mut after = 0;
    loop {
        let lines = postable_lines(conn, company, journal, after)?;
        let Some(last) = lines.last().map(|line| line.id) else {
            return Ok(());
        };
        visit(after, lines)?;
        after = last;
    }
}

/// Takes a chunk of `count` posted lines out of the draft: they are exactly the postable
/// lines after `after` up to `last`.
fn remove_lines(
    conn: &Connection,
    company: i64,
    journal: Option<&str>,
    after: i64,
    last: i64,
    count: usize,
) -> Result<()> {
    let removed = match journal {
        Some(journal) => conn
            .prepare_cached(
                "DELETE FROM journal_lines WHERE company = ?1 AND journal = ?2 \
                 AND attention = 0 AND id > ?3 AND id <= ?4",
            )?
            .execute((company, journal, after, last))?,
        None => conn
            .prepare_cached(
                // By id range, not by the company's index, which would visit every line of
                // the company for every chunk.
                "DELETE FROM journal_lines NOT INDEXED WHERE company = ?1 \
                 AND attention = 0 AND id > ?2 AND id <= ?3",
            )?
            .execute((company, after, last))?,
    };
    if removed != count {
        return Err(JournalError::Corrupt(format!(
            "the journal draft changed while it was being posted: {removed} lines removed, {count} posted"
        )));
    }
    Ok(())
}

/// How many of the draft's lines can be posted and how many need attention, and what the
/// first pass settles.
struct Lines {
    postable: usize,
    attention: usize,
    /// The lines to post that settle entries (amount not zero, offsets named), in id order.
    settling: Vec<ToSettle>,
    /// Their offsets as stored (JSON), one after the other: one allocation, where a vector
    /// of strings per line kept half a million small blocks alive through the posting (at
    /// 1,000,000 entries glibc's malloc then spent 18 % of `journal post` walking them).
    offsets: String,
}

/// What the first pass needs of a line that settles entries: read by the scan that finds the
/// entries, so the first pass does not read the draft again.
struct ToSettle {
    id: i64,
    account: Id,
    amount: Amount,
    /// Where its offsets are in [`Lines::offsets`].
    offsets: std::ops::Range<usize>,
    /// Approved by a person as it is (see [`post`]).
    approved: bool,
}

/// The next lines to post after line id `after`, at most [`CHUNK_LINES`]. Of all journals, by
/// id range (`NOT INDEXED`): through the company's index, every chunk would sort all the
/// company's lines.
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
                "{SELECT_LINE} NOT INDEXED WHERE company = ?1 AND attention = 0 \
                 AND id > ?2 ORDER BY id LIMIT ?3"
            ))?
            .query((company, after, CHUNK_LINES))?,
        )?,
    }
    Ok(lines)
}

/// An entry some line to post names, as it stands during the posting. Kept small: a
/// posting of a million lines holds a million of these.
struct NamedEntry {
    /// Inline (an [`Id`]), so a million of them cost no allocation to read or to free.
    entry_id: Id,
    /// Where `entry_id` comes in the order of entry ids (the entries are read in that
    /// order): sorting by this number sorts by entry id without comparing strings.
    key_order: u32,
    /// Its invoice number, as an index into its debtor's `invoices`.
    invoice: usize,
    /// The due date as the number YYYYMMDD, for the settlement order.
    due: u32,
    amount: Amount,
    /// After the lines settled so far.
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

/// One debtor's invoice numbers that the lines to post name, and its entries with those
/// numbers, grouped by invoice.
#[derive(Default)]
struct NamedDebtor {
    /// Sorted, without repeats.
    invoices: Vec<Id>,
    /// By invoice (in the order of `invoices`), then in settlement order.
    entries: Vec<NamedEntry>,
    /// Where each invoice's entries start in `entries`, and where the last one's end.
    starts: Vec<usize>,
}

impl NamedDebtor {
    fn invoice(&self, invoice: &str) -> Option<usize> {
        self.invoices
            .binary_search_by(|known| known.as_str().cmp(invoice))
            .ok()
    }

    /// The positions in `entries` of an invoice's entries.
    fn entries_of(&self, invoice: usize) -> std::ops::Range<usize> {
        self.starts[invoice]..self.starts[invoice + 1]
    }

    /// Orders the entries read and finds where each invoice's start.
    fn group(&mut self) {
        self.entries.sort_unstable_by(|a, b| {
            (a.invoice, a.due, a.key_order).cmp(&(b.invoice, b.due, b.key_order))
        });
        self.starts = Vec::with_capacity(self.invoices.len() + 1);
        let mut position = 0;
        for invoice in 0..=self.invoices.len() {
            while position < self.entries.len() && self.entries[position].invoice < invoice {
                position += 1;
            }
            self.starts.push(position);
        }
    }
}

/// The entries the lines to post name, by debtor account.
struct NamedEntries {
    /// [`FastMap`]: the posting looks a debtor up for every line and every entry it reads.
    by_debtor: FastMap<Id, NamedDebtor>,
    /// Room for the positions and items `settle` works on, kept from one line to the next:
    /// settling a million lines twice would otherwise allocate both four million times.
    named: Vec<usize>,
    items: Vec<Item>,
}

impl NamedEntries {
    fn new(by_debtor: FastMap<Id, NamedDebtor>) -> NamedEntries {
        NamedEntries {
            by_debtor,
            named: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Collects the (debtor, invoice) pairs the lines name, then reads the company's entries
    /// once and keeps those of the pairs: one scan, whatever the number of lines, and no
    /// index on the entries to keep up on every import. The scan of the lines also counts
    /// them and keeps what the first pass settles of each (a line's id, account, amount and
    /// offsets: 3 % fewer instructions for `journal post` at 100,000 entries than reading
    /// the draft again for it), so the draft is not read once more for either.
    fn load(
        conn: &Connection,
        company: i64,
        journal: Option<&str>,
    ) -> Result<(NamedEntries, Lines)> {
        let mut by_debtor: FastMap<Id, NamedDebtor> = FastMap::default();
        let mut lines = Lines {
            postable: 0,
            attention: 0,
            settling: Vec::new(),
            offsets: String::new(),
        };
        let mut add_pairs = |mut rows: rusqlite::Rows<'_>| -> Result<()> {
            while let Some(row) = rows.next()? {
                if row.get::<_, bool>(0)? {
                    lines.attention += 1;
                    continue;
                }
                lines.postable += 1;
                // A line of zero settles nothing (see `settle`).
                let amount = Amount::from_ore(row.get(1)?);
                if amount.is_zero() {
                    continue;
                }
                let offsets = text(row.get_ref(3)?, "journal_lines.offsets")?;
                if offsets == "[]" {
                    continue;
                }
                let start = lines.offsets.len();
                lines.offsets.push_str(offsets);
                let offsets = offsets_from_json(offsets)?;
                let account = text(row.get_ref(2)?, "journal_lines.account")?;
                let debtor = match by_debtor.get_mut(account) {
                    Some(debtor) => debtor,
                    None => by_debtor.entry(account.into()).or_default(),
                };
                debtor.invoices.extend(offsets.into_iter().map(Id::from));
                lines.settling.push(ToSettle {
                    id: row.get(4)?,
                    account: account.into(),
                    amount,
                    offsets: start..lines.offsets.len(),
                    approved: row.get(5)?,
                });
            }
            Ok(())
        };
        match journal {
            Some(journal) => add_pairs(
                conn.prepare_cached(
                    "SELECT attention, amount, account, offsets, id, fixed_by_person FROM journal_lines \
                     WHERE company = ?1 AND journal = ?2",
                )?
                .query((company, journal))?,
            )?,
            None => add_pairs(
                conn.prepare_cached(
                    // A scan of the table: through the company's index, each line would
                    // cost a lookup of its row.
                    "SELECT attention, amount, account, offsets, id, fixed_by_person FROM journal_lines \
                     NOT INDEXED WHERE company = ?1",
                )?
                .query([company])?,
            )?,
        }
        // Settled in id order, whatever order the scan read the lines in.
        lines.settling.sort_unstable_by_key(|line| line.id);
        if by_debtor.is_empty() {
            return Ok((NamedEntries::new(by_debtor), lines));
        }
        for debtor in by_debtor.values_mut() {
            debtor.invoices.sort_unstable();
            debtor.invoices.dedup();
        }
        // In entry id order, which is the key's order (no sort), for `key_order`.
        let mut statement = conn.prepare_cached(
            "SELECT entry_id, debtor, invoice, due_date, amount, remaining FROM entries \
             WHERE company = ?1 AND invoice IS NOT NULL ORDER BY entry_id",
        )?;
        let mut rows = statement.query([company])?;
        let mut key_order: u32 = 0;
        while let Some(row) = rows.next()? {
            key_order = key_order.checked_add(1).ok_or_else(|| {
                JournalError::Corrupt(
                    "the company has more entries than a posting can settle".into(),
                )
            })?;
            let Some(debtor) = by_debtor.get_mut(text(row.get_ref(1)?, "entries.debtor")?) else {
                continue;
            };
            let Some(invoice) = debtor.invoice(text(row.get_ref(2)?, "entries.invoice")?) else {
                continue;
            };
            let entry_id = text(row.get_ref(0)?, "entries.entry_id")?;
            let due = due_number(text(row.get_ref(3)?, "entries.due_date")?, entry_id)?;
            let remaining = Amount::from_ore(row.get(5)?);
            debtor.entries.push(NamedEntry {
                entry_id: entry_id.into(),
                key_order,
                invoice,
                due,
                amount: Amount::from_ore(row.get(4)?),
                remaining,
                stored: remaining,
            });
        }
        for debtor in by_debtor.values_mut() {
            debtor.group();
        }
        Ok((NamedEntries::new(by_debtor), lines))
    }

    /// Settles the entries `line` names; with `record`, appends the changes to it, in
    /// settlement order. Returns what stays on the debtor's account, on no entry: nothing,
    /// but for a payment a person approved as it is (see [`post`]).
    fn settle(
        &mut self,
        line: &Settling<'_>,
        record: Option<&mut Vec<Settlement>>,
    ) -> Result<Amount> {
        // A payment a person approved as it is (see [`post`]).
        let on_account = line.approved && line.amount.is_negative();
        if line.amount.is_zero() {
            return Ok(Amount::ZERO);
        }
        if line.offsets.is_empty() {
            // It names no invoice: an approved payment stays on the account whole.
            return Ok(if on_account {
                line.amount
            } else {
                Amount::ZERO
            });
        }
        let unknown = |invoice: &String| JournalError::UnknownInvoice {
            line: line.id,
            account: line.account.to_string(),
            invoice: invoice.clone(),
        };
        let NamedEntries {
            by_debtor,
            named,
            items,
        } = self;
        let Some(debtor) = by_debtor.get_mut(line.account) else {
            if on_account {
                return Ok(line.amount);
            }
            return Err(unknown(&line.offsets[0]));
        };
        // The positions of the named entries, in settlement order: due date, then entry id.
        // An approved payment's invoices that the debtor has no entry for settle nothing.
        named.clear();
        for invoice in line.offsets {
            let entries = debtor
                .invoice(invoice)
                .map(|index| debtor.entries_of(index));
            let entries = match entries {
                Some(entries) if !entries.is_empty() => entries,
                _ if on_account => continue,
                _ => return Err(unknown(invoice)),
            };
            let can_take_credit = || {
                debtor.entries[entries.clone()]
                    .iter()
                    .any(|e| e.item().can_take_credit())
            };
            if line.amount.is_negative() && !on_account && !can_take_credit() {
                return Err(JournalError::InvoiceSettled {
                    line: line.id,
                    account: line.account.to_string(),
                    invoice: invoice.clone(),
                });
            }
            named.extend(entries);
        }
        let entries = &mut debtor.entries;
        named.sort_unstable_by(|&a, &b| {
            (entries[a].due, entries[a].key_order).cmp(&(entries[b].due, entries[b].key_order))
        });
        items.clear();
        items.extend(named.iter().map(|&i| entries[i].item()));
        let (after, left) = if on_account {
            allocate_on_account(line.amount, items).map_err(|e| refusal(line, e))?
        } else {
            let after = allocate(line.amount, items).map_err(|e| refusal(line, e))?;
            (after, Amount::ZERO)
        };
        let mut record = record;
        for (&i, remaining) in named.iter().zip(after) {
            let entry = &mut entries[i];
            if remaining == entry.remaining {
                continue;
            }
            if let Some(record) = record.as_deref_mut() {
                record.push(Settlement {
                    transaction: 0,
                    entry_id: entry.entry_id.to_string(),
                    invoice: debtor.invoices[entry.invoice].to_string(),
                    remaining_before: entry.remaining,
                    remaining_after: remaining,
                });
            }
            entry.remaining = remaining;
        }
        Ok(left)
    }

    /// The first pass: settles every line that names entries, in id order (as read by
    /// [`NamedEntries::load`]). Finds every refusal; writes nothing.
    fn check(&mut self, lines: &[ToSettle], offsets: &str) -> Result<()> {
        for line in lines {
            let json = offsets.get(line.offsets.clone()).unwrap_or_default();
            self.settle(
                &Settling {
                    id: line.id,
                    account: &line.account,
                    amount: line.amount,
                    offsets: &offsets_from_json(json)?,
                    approved: line.approved,
                },
                None,
            )?;
        }
        Ok(())
    }

    /// Back to the remaining amounts as stored, for the second pass.
    fn reset(&mut self) {
        for entry in self.by_debtor.values_mut().flat_map(|d| &mut d.entries) {
            entry.remaining = entry.stored;
        }
    }

    /// Writes the entries' new remaining amounts and returns how many changed, how many of
    /// those are closed now and how many were closed and are open again. Each update checks
    /// that the entry still holds what was read, which it must inside the caller's write
    /// transaction.
    ///
    /// An `UPDATE` per range of changed entries walks the range in key order and asks
    /// [`NewRemaining`] (an SQL function for as long as the writing lasts) for each entry's
    /// new amount. A statement per entry found each entry from the B-tree's root again: a
    /// fifth of `journal post` at a million entries.
    fn write_back(&self, conn: &Connection, company: i64) -> Result<(usize, usize, usize)> {
        let mut changed: Vec<&NamedEntry> = self
            .by_debtor
            .values()
            .flat_map(|d| &d.entries)
            .filter(|e| e.remaining != e.stored)
            .collect();
        if changed.is_empty() {
            return Ok((0, 0, 0));
        }
        changed.sort_unstable_by_key(|e| e.key_order);
        let closed = changed.iter().filter(|e| e.remaining.is_zero()).count();
        let reopened = changed.iter().filter(|e| e.stored.is_zero()).count();
        let new_remaining = NewRemaining {
            entries: changed
                .iter()
                .map(|e| (e.entry_id.clone(), e.stored.ore(), e.remaining.ore()))
                .collect(),
            next: 0,
        };
        let updated = new_remaining.update(conn, company)?;
        if updated != changed.len() {
            return Err(changed_while_settled(conn, company, &changed));
        }
        Ok((changed.len(), closed, reopened))
    }
}

/// How many changed entries [`NewRemaining::update`] updates in one statement.
const ENTRIES_PER_UPDATE: usize = if cfg!(test) { 2 } else { 10_000 };

/// The new remaining amounts of the entries a posting changed, as the SQL function
/// `payrun_new_remaining(entry_id, remaining)`: the entry's new amount if it is one of them
/// and still holds what was read, else NULL.
struct NewRemaining {
    /// (entry id, remaining as read, new remaining), in key order.
    entries: Vec<(Id, i64, i64)>,
    /// Where the last lookup found its entry: the statement walks the entries in key order,
    /// so the next lookup is for the same entry or a later one.
    next: usize,
}

impl NewRemaining {
    const FUNCTION: &'static str = "payrun_new_remaining";

    /// Updates the company's entries that are among `self.entries` and still hold what was
    /// read; returns how many it updated.
    ///
    /// A statement per range of [`ENTRIES_PER_UPDATE`] changed entries: inside a transaction
    /// SQLite keeps the original of every page a statement changes until the statement ends
    /// (its statement journal, in memory), and one statement for a million entries held 170
    /// MB of them.
    fn update(self, conn: &Connection, company: i64) -> Result<usize> {
        let ranges: Vec<(Id, Id)> = self
            .entries
            .chunks(ENTRIES_PER_UPDATE)
            .map(|chunk| (chunk[0].0.clone(), chunk[chunk.len() - 1].0.clone()))
            .collect();
        let mut lookup = self;
        conn.create_scalar_function(Self::FUNCTION, 2, FunctionFlags::SQLITE_UTF8, move |ctx| {
            let entry_id = ctx
                .get_raw(0)
                .as_str()
                .map_err(|e| rusqlite::Error::UserFunctionError(format!("entry_id: {e}").into()))?;
            let remaining: i64 = ctx.get(1)?;
            Ok(lookup.new_remaining(entry_id, remaining))
        })?;
        let update = |(first, last): &(Id, Id)| -> Result<usize> {
            Ok(conn
                .prepare_cached(
                    "UPDATE entries SET remaining = payrun_new_remaining(entry_id, remaining) \
                     WHERE company = ?1 AND entry_id >= ?2 AND entry_id <= ?3 \
                     AND payrun_new_remaining(entry_id, remaining) IS NOT NULL",
                )?
                .execute((company, first.as_str(), last.as_str()))?)
        };
        let updated = ranges.iter().map(update).sum::<Result<usize>>();
        conn.remove_function(Self::FUNCTION, 2)?;
        updated
    }

    /// The function's value for the entry `entry_id` that holds `remaining` now.
    fn new_remaining(&mut self, entry_id: &str, remaining: i64) -> Option<i64> {
        let at = self.position(entry_id)?;
        self.next = at;
        let (_, stored, new) = &self.entries[at];
        (remaining == *stored).then_some(*new)
    }

    fn position(&self, entry_id: &str) -> Option<usize> {
        let id = |i: usize| self.entries.get(i).map(|e| e.0.as_str());
        // The statement walks the entries in key order: mostly the entry is the one found
        // last, the one after it, or one between the two that did not change.
        match (id(self.next), id(self.next + 1)) {
            (Some(here), _) if here == entry_id => Some(self.next),
            (_, Some(after)) if after == entry_id => Some(self.next + 1),
            (Some(here), Some(after)) if here < entry_id && entry_id < after => None,
            _ => self
                .entries
                .binary_search_by(|e| e.0.as_str().cmp(entry_id))
                .ok(),
        }
    }
}

/// The refusal for entries that did not all hold what was read: names the first that does
/// not hold its new remaining amount now.
fn changed_while_settled(conn: &Connection, company: i64, changed: &[&NamedEntry]) -> JournalError {
    let holds = |entry: &NamedEntry| -> Result<bool> {
        let remaining: Option<i64> = conn
            .prepare_cached("SELECT remaining FROM entries WHERE company = ?1 AND entry_id = ?2")?
            .query_row((company, &*entry.entry_id), |row| row.get(0))
            .optional()?;
        Ok(remaining == Some(entry.remaining.ore()))
    };
    for entry in changed {
        match holds(entry) {
            Ok(true) => continue,
            Ok(false) => {
                return JournalError::Corrupt(format!(
                    "entry '{}' changed while it was being settled",
                    entry.entry_id
                ))
            }
            Err(error) => return error,
        }
    }
    JournalError::Corrupt("entries changed while they were being settled".into())
}

/// `2026-07-01` as 20260701: the same order, a quarter of the memory.
fn due_number(date: &str, entry_id: &str) -> Result<u32> {
    let bad = || {
        JournalError::Corrupt(format!(
            "entry '{entry_id}': due date '{date}' is not a date"
        ))
    };
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(bad());
    }
    let mut number = 0u32;
    for &b in bytes.iter().filter(|&&b| b != b'-') {
        if !b.is_ascii_digit() {
            return Err(bad());
        }
        number = number * 10 + u32::from(b - b'0');
    }
    Ok(number)
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

fn refusal(line: &Settling<'_>, error: AllocationError) -> JournalError {
    let amount = line.amount.checked_abs().unwrap_or(line.amount);
    let account = line.account.to_string();
    let invoices = line.offsets.join(", ");
    match error {
        AllocationError::Excess(excess) if line.amount.is_negative() => JournalError::Overpayment {
            line: line.id,
            account,
            amount,
            excess,
            invoices,
        },
        AllocationError::Excess(excess) => JournalError::ExcessDebit {
            line: line.id,
            account,
            amount,
            excess,
            invoices,
        },
        AllocationError::Overflow => JournalError::Overflow { line: line.id },
    }
}

/// What settlement needs of a line.
struct Settling<'a> {
    id: i64,
    account: &'a str,
    amount: Amount,
    offsets: &'a [String],
    /// Approved by a person as it is: what a payment's entries cannot take stays on the
    /// debtor's account.
    approved: bool,
}

/// Writes ledger transactions, numbering and chaining them; rows are collected and written a
/// chunk at a time, in multi-row inserts (a statement per row costs about twice the time).
struct LedgerWriter<'c> {
    conn: &'c Connection,
    company: i64,
    posted_at: NaiveDateTime,
    /// `posted_at` as stored: the same in every row, so formatted once.
    posted_at_text: String,
    last_id: i64,
    last_chain: String,
    settlements: Vec<SettlementRow>,
    transactions: Vec<TransactionRow>,
}

struct SettlementRow {
    transaction: i64,
    entry_id: String,
    invoice: String,
    remaining_before: i64,
    remaining_after: i64,
}

struct TransactionRow {
    id: i64,
    journal: String,
    date: String,
    journal_line: i64,
    text: String,
    offsets: String,
    source: String,
    account: String,
    offset_account: String,
    amount: i64,
    chain: String,
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
            posted_at_text: format_time(posted_at),
            last_id,
            last_chain,
            settlements: Vec::new(),
            transactions: Vec::new(),
        })
    }

    /// Makes `line`'s transaction (none for a line of amount zero), to be written by the
    /// next [`LedgerWriter::flush`].
    fn add(&mut self, line: JournalLine, mut settlements: Vec<Settlement>) -> Result<PostedLine> {
        let line_id = line.id;
        let amount = line.amount;
        if amount.is_zero() {
            return Ok(PostedLine {
                line: line_id,
                amount,
                transaction: None,
            });
        }
        let corrupt = |what: &str| {
            JournalError::Corrupt(format!(
                "journal line {line_id} has no {what} but was posted"
            ))
        };
        let account = line.account.ok_or_else(|| corrupt("account"))?;
        let offset_account = line
            .offset_account
            .ok_or_else(|| corrupt("offset account"))?;
        let opposite = amount
            .checked_neg()
            .ok_or(JournalError::Overflow { line: line_id })?;
        let id = self.last_id + 1;
        // Stored in key order, so hashed in key order.
        settlements.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
        for settlement in &mut settlements {
            settlement.transaction = id;
        }
        let transaction = LedgerTransaction {
            id,
            journal: line.journal,
            date: line.date,
            posted_at: self.posted_at,
            journal_line: line_id,
            text: line.text,
            offsets: line.offsets,
            source: line.source,
            postings: vec![
                Posting {
                    account_kind: AccountKind::Debtor,
                    account: account.clone(),
                    amount,
                },
                Posting {
                    account_kind: AccountKind::General,
                    account: offset_account.clone(),
                    amount: opposite,
                },
            ],
            settlements,
        };
        let chain = chain(&self.last_chain, &transaction);
        self.last_id = id;
        self.last_chain.clone_from(&chain);
        self.settlements
            .extend(transaction.settlements.into_iter().map(|s| SettlementRow {
                transaction: id,
                entry_id: s.entry_id,
                invoice: s.invoice,
                remaining_before: s.remaining_before.ore(),
                remaining_after: s.remaining_after.ore(),
            }));
        self.transactions.push(TransactionRow {
            id,
            journal: transaction.journal,
            date: format_date(transaction.date),
            journal_line: line_id,
            text: transaction.text,
            offsets: offsets_to_json(&transaction.offsets),
            source: transaction.source,
            account,
            offset_account,
            amount: amount.ore(),
            chain,
        });
        Ok(PostedLine {
            line: line_id,
            amount,
            transaction: Some(id),
        })
    }

    /// Writes what [`LedgerWriter::add`] collected: settlements first, then the transaction
    /// rows, after which nothing can be added to them (I2).
    fn flush(&mut self) -> Result<()> {
        let company: &dyn ToSql = &self.company;
        let posted_at: &dyn ToSql = &self.posted_at_text;
        insert_rows(
            self.conn,
            "INSERT INTO ledger_settlements (company, txn, entry_id, invoice, remaining_before, \
             remaining_after)",
            &self.settlements,
            |s| {
                [
                    company,
                    &s.transaction,
                    &s.entry_id,
                    &s.invoice,
                    &s.remaining_before,
                    &s.remaining_after,
                ]
            },
        )?;
        insert_rows(
            self.conn,
            "INSERT INTO ledger_transactions (company, id, journal, date, posted_at, \
             journal_line, text, offsets, source, account, offset_account, amount, chain)",
            &self.transactions,
            |t| {
                [
                    company,
                    &t.id,
                    &t.journal,
                    &t.date,
                    posted_at,
                    &t.journal_line,
                    &t.text,
                    &t.offsets,
                    &t.source,
                    &t.account,
                    &t.offset_account,
                    &t.amount,
                    &t.chain,
                ]
            },
        )?;
        self.settlements.clear();
        self.transactions.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
