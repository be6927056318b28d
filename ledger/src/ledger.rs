//! The posted ledger: reading transactions, the trial balance, and the checks of I2 that
//! `payrun verify` runs.
//!
//! # The chain
//!
//! Each transaction stores `chain`: a 64-bit FNV-1a checksum, in hex, over the previous
//! transaction's chain and everything of its own (header, postings, settlements), each field
//! length-prefixed. [`check_invariants`] recomputes it, so a transaction changed or removed
//! behind the triggers' back (with the triggers dropped, or the file edited) shows as a broken
//! chain or a gap in the numbering. It is a checksum against accidents and careless edits, not
//! a signature: whoever can write the file can recompute it. Nor can it see the newest
//! transaction removed whole (nothing after it links to it); the triggers forbid that, and a
//! missing trigger is reported.

use crate::error::{JournalError, Result};
use crate::journal::{AccountBalance, AccountKind, LedgerTransaction, Posting, Settlement};
use crate::schema::LEDGER_TRIGGERS;
use crate::sql::{format_date, format_time, offsets_from_json, parse_date, parse_time};
use crate::Amount;
use rusqlite::Connection;
use std::fmt;
use std::iter::Peekable;
use std::ops::RangeInclusive;

/// The chain value before a company's first transaction.
pub(crate) const CHAIN_START: &str = "0000000000000000";

/// The chain value of `transaction` after `previous`.
///
/// Numbers are hashed as their decimal text (`number` writes the bytes `to_string` would,
/// without allocating: posting hashes a few dozen numbers per transaction).
pub(crate) fn chain(previous: &str, transaction: &LedgerTransaction) -> String {
    let mut hash = Fnv::new();
    hash.field(previous);
    hash.number(transaction.id);
    hash.field(&transaction.journal);
    hash.field(&format_date(transaction.date));
    hash.field(&format_time(transaction.posted_at));
    hash.number(transaction.journal_line);
    hash.field(&transaction.text);
    hash.count(transaction.offsets.len());
    for offset in &transaction.offsets {
        hash.field(offset);
    }
    hash.field(&transaction.source);
    hash.count(transaction.postings.len());
    for posting in &transaction.postings {
        hash.field(posting.account_kind.as_str());
        hash.field(&posting.account);
        hash.number(posting.amount.ore());
    }
    hash.count(transaction.settlements.len());
    for settlement in &transaction.settlements {
        hash.field(&settlement.entry_id);
        hash.field(&settlement.invoice);
        hash.number(settlement.remaining_before.ore());
        hash.number(settlement.remaining_after.ore());
    }
    format!("{:016x}", hash.0)
}

/// 64-bit FNV-1a: simple, stable across Rust versions and platforms (unlike std's hasher).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// A field, length first, so that `ab`,`c` and `a`,`bc` differ.
    fn field(&mut self, text: &str) {
        self.field_bytes(text.as_bytes());
    }

    fn field_bytes(&mut self, bytes: &[u8]) {
        let mut digits = Digits::default();
        self.bytes(digits.of(bytes.len() as u64, false));
        self.bytes(b":");
        self.bytes(bytes);
    }

    /// A number, as the field of its decimal text (`-12` is the field `-12`).
    fn number(&mut self, n: i64) {
        let mut digits = Digits::default();
        self.field_bytes(digits.of(n.unsigned_abs(), n < 0));
    }

    /// A count of items, as [`Fnv::number`] hashes it.
    fn count(&mut self, n: usize) {
        let mut digits = Digits::default();
        self.field_bytes(digits.of(n as u64, false));
    }
}

/// Room for the decimal text of any `i64` or `u64` (at most 20 bytes with the sign).
#[derive(Default)]
struct Digits([u8; 21]);

impl Digits {
    /// The decimal text of `n` (with `-` before it when `negative`), as `to_string` writes it.
    fn of(&mut self, mut n: u64, negative: bool) -> &[u8] {
        let mut start = self.0.len();
        loop {
            start -= 1;
            self.0[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if negative {
            start -= 1;
            self.0[start] = b'-';
        }
        &self.0[start..]
    }
}

/// The company's ledger transactions with ids in `ids`, oldest first: `1..=i64::MAX` for all,
/// or the range a [`crate::PostingReport`] names.
pub fn transactions(
    conn: &Connection,
    company: i64,
    ids: RangeInclusive<i64>,
) -> Result<Vec<LedgerTransaction>> {
    let mut all = Vec::new();
    for_each_transaction(conn, company, ids, |stored| {
        all.push(stored.transaction);
        Ok(())
    })?;
    Ok(all)
}

/// The company's trial balance: every account that has postings, with its balance (positive
/// is a debit balance), debtor accounts first, each kind by account. Every transaction sums
/// to zero, so the balances do (I1).
pub fn trial_balance(conn: &Connection, company: i64) -> Result<Vec<AccountBalance>> {
    let mut statement = conn.prepare_cached(
        "SELECT 'debtor', account, sum(amount) FROM ledger_transactions WHERE company = ?1 \
         GROUP BY account \
         UNION ALL \
         SELECT 'general', offset_account, -sum(amount) FROM ledger_transactions \
         WHERE company = ?1 GROUP BY offset_account \
         ORDER BY 1, 2",
    )?;
    let mut rows = statement.query([company])?;
    let mut balances = Vec::new();
    while let Some(row) = rows.next()? {
        let kind: String = row.get(0)?;
        balances.push(AccountBalance {
            account_kind: account_kind(&kind)?,
            account: row.get(1)?,
            balance: Amount::from_ore(row.get(2)?),
        });
    }
    Ok(balances)
}

fn account_kind(text: &str) -> Result<AccountKind> {
    AccountKind::parse(text)
        .ok_or_else(|| JournalError::Corrupt(format!("'{text}' is not an account kind")))
}

/// Something [`check_invariants`] found wrong with the posted ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvariantProblem {
    /// A trigger that guards the ledger is missing.
    MissingTrigger { name: &'static str },
    /// The transaction numbers skip: one was removed.
    Gap { expected: i64, found: i64 },
    /// A transaction is not what was written.
    ChainBroken { transaction: i64 },
    /// Settlements of a transaction that does not exist.
    OrphanSettlements { transaction: i64 },
}

impl InvariantProblem {
    /// The invariant of `reliability.md` it breaks. Every problem the ledger can show is one
    /// of I2: I1 holds by construction (a transaction is one row whose two postings are its
    /// amount and the opposite).
    pub fn invariant(&self) -> &'static str {
        "I2"
    }
}

impl fmt::Display for InvariantProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvariantProblem::MissingTrigger { name } => write!(
                f,
                "trigger {name} is missing: posted ledger transactions are not protected"
            ),
            InvariantProblem::Gap { expected, found } => write!(
                f,
                "ledger transaction {expected} is missing (the next is {found}): a posted transaction was removed"
            ),
            InvariantProblem::ChainBroken { transaction } => write!(
                f,
                "ledger transaction {transaction} is not as it was posted (its chain checksum does not match)"
            ),
            InvariantProblem::OrphanSettlements { transaction } => write!(
                f,
                "ledger_settlements has rows of ledger transaction {transaction}, which does not exist"
            ),
        }
    }
}

/// Checks the company's posted ledger for I2: the guarding triggers exist, the transactions
/// are numbered 1, 2, 3, … and each one's chain checksum matches, and no settlement belongs
/// to a missing transaction. (I1 needs no check: a transaction is one row, its amount on the
/// debtor account and the opposite on the offset account, so each transaction and the trial
/// balance sum to zero by construction.) Returns the problems found; none means the ledger
/// is sound. One pass over the ledger, in key order.
pub fn check_invariants(conn: &Connection, company: i64) -> Result<Vec<InvariantProblem>> {
    let mut problems = Vec::new();
    for &name in LEDGER_TRIGGERS {
        let exists = conn
            .prepare_cached(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
            )?
            .query_row([name], |row| row.get::<_, i64>(0))?
            > 0;
        if !exists {
            problems.push(InvariantProblem::MissingTrigger { name });
        }
    }
    let mut expected_id = 1;
    let mut previous = CHAIN_START.to_string();
    let orphans = for_each_transaction(conn, company, 1..=i64::MAX, |stored| {
        let id = stored.transaction.id;
        if id != expected_id {
            problems.push(InvariantProblem::Gap {
                expected: expected_id,
                found: id,
            });
        }
        expected_id = id + 1;
        if chain(&previous, &stored.transaction) != stored.chain {
            problems.push(InvariantProblem::ChainBroken { transaction: id });
        }
        previous = stored.chain;
        Ok(())
    })?;
    problems.extend(orphans);
    Ok(problems)
}

/// A transaction as stored, with its chain value.
struct Stored {
    transaction: LedgerTransaction,
    chain: String,
}

/// Calls `visit` with each of the company's transactions in id order, reading the three
/// tables side by side in key order (one pass, without holding the ledger in memory).
/// Returns the postings and settlements that belong to no transaction.
fn for_each_transaction(
    conn: &Connection,
    company: i64,
    ids: RangeInclusive<i64>,
    mut visit: impl FnMut(Stored) -> Result<()>,
) -> Result<Vec<InvariantProblem>> {
    let (first, last) = (*ids.start(), *ids.end());
    let mut headers = conn.prepare_cached(
        "SELECT id, journal, date, posted_at, journal_line, text, offsets, source, account, \
         offset_account, amount, chain FROM ledger_transactions \
         WHERE company = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id",
    )?;
    let mut settlements = conn.prepare_cached(
        "SELECT txn, entry_id, invoice, remaining_before, remaining_after \
         FROM ledger_settlements WHERE company = ?1 AND txn BETWEEN ?2 AND ?3 \
         ORDER BY txn, entry_id",
    )?;
    let mut settlements = settlements
        .query_map((company, first, last), |row| {
            Ok(Settlement {
                transaction: row.get(0)?,
                entry_id: row.get(1)?,
                invoice: row.get(2)?,
                remaining_before: Amount::from_ore(row.get(3)?),
                remaining_after: Amount::from_ore(row.get(4)?),
            })
        })?
        .peekable();
    let mut orphans = Vec::new();
    let mut rows = headers.query((company, first, last))?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let what = format!("ledger transaction {id}");
        let date: String = row.get(2)?;
        let posted_at: String = row.get(3)?;
        let offsets: String = row.get(6)?;
        let amount = Amount::from_ore(row.get(10)?);
        let opposite = amount
            .checked_neg()
            .ok_or_else(|| JournalError::Corrupt(format!("{what}: amount {amount}")))?;
        let transaction = LedgerTransaction {
            id,
            journal: row.get(1)?,
            date: parse_date(&date, &what)?,
            posted_at: parse_time(&posted_at, &what)?,
            journal_line: row.get(4)?,
            text: row.get(5)?,
            offsets: offsets_from_json(&offsets)?,
            source: row.get(7)?,
            postings: vec![
                Posting {
                    account_kind: AccountKind::Debtor,
                    account: row.get(8)?,
                    amount,
                },
                Posting {
                    account_kind: AccountKind::General,
                    account: row.get(9)?,
                    amount: opposite,
                },
            ],
            settlements: take_settlements(&mut settlements, id, &mut orphans)?,
        };
        visit(Stored {
            transaction,
            chain: row.get(11)?,
        })?;
    }
    for settlement in settlements.by_ref().collect::<rusqlite::Result<Vec<_>>>()? {
        push_orphan(&mut orphans, settlement.transaction);
    }
    Ok(orphans)
}

/// Takes the settlements of transaction `id` from a stream in transaction order; those of
/// lower transactions left before them belong to none and are reported.
fn take_settlements(
    rows: &mut Peekable<impl Iterator<Item = rusqlite::Result<Settlement>>>,
    id: i64,
    orphans: &mut Vec<InvariantProblem>,
) -> Result<Vec<Settlement>> {
    let mut taken = Vec::new();
    loop {
        if matches!(rows.peek(), Some(Err(_))) {
            if let Some(Err(error)) = rows.next() {
                return Err(error.into());
            }
        }
        let Some(Ok(row)) = rows.next_if(|r| matches!(r, Ok(row) if row.transaction <= id)) else {
            break;
        };
        if row.transaction < id {
            push_orphan(orphans, row.transaction);
        } else {
            taken.push(row);
        }
    }
    Ok(taken)
}

fn push_orphan(orphans: &mut Vec<InvariantProblem>, transaction: i64) {
    let problem = InvariantProblem::OrphanSettlements { transaction };
    if orphans.last() != Some(&problem) {
        orphans.push(problem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain of every posted ledger depends on these exact bytes: a value pinned here
    /// fails if the checksum's input ever changes, which would break `verify` on every
    /// database posted before.
    #[test]
    fn chain_values_are_pinned() {
        let settlement = |entry_id: &str, before: i64, after: i64| Settlement {
            transaction: 7,
            entry_id: entry_id.to_string(),
            invoice: format!("INV-{entry_id}"),
            remaining_before: Amount::from_ore(before),
            remaining_after: Amount::from_ore(after),
        };
        let transaction = LedgerTransaction {
            id: 7,
            journal: "Day".to_string(),
            date: "2026-07-01".parse().unwrap(),
            posted_at: "2026-07-02T09:30:05".parse().unwrap(),
            journal_line: 123_456_789,
            text: "BS 5001 æøå".to_string(),
            offsets: vec!["5001".to_string(), "5002".to_string()],
            source: "file 12, line 5".to_string(),
            postings: vec![
                Posting {
                    account_kind: AccountKind::Debtor,
                    account: "100100".to_string(),
                    amount: Amount::from_ore(-i64::MAX),
                },
                Posting {
                    account_kind: AccountKind::General,
                    account: "5850".to_string(),
                    amount: Amount::from_ore(i64::MAX),
                },
            ],
            settlements: vec![
                settlement("E1", 0, -5),
                settlement("E2", i64::MIN, 1_000_000_000),
            ],
        };
        assert_eq!(chain(CHAIN_START, &transaction), "82e26fa6ed3e838b");
        let first = chain(CHAIN_START, &transaction);
        assert_eq!(chain(&first, &transaction), "afcfe1e4f834fb67");
    }

    #[test]
    fn numbers_are_hashed_as_their_decimal_text() {
        let mut cases = vec![0, 1, -1, 9, 10, -10, 99, 100];
        cases.extend([i64::MAX, i64::MIN, i64::MIN + 1]);
        cases.extend((0..64).map(|shift| 1i64 << shift));
        cases.extend((0..64).map(|shift| (1i64 << shift).wrapping_neg()));
        for n in cases {
            let (mut ours, mut text) = (Fnv::new(), Fnv::new());
            ours.number(n);
            text.field(&n.to_string());
            assert_eq!(ours.0, text.0, "{n}");
        }
        for n in [0usize, 7, 10, 12345, usize::MAX] {
            let (mut ours, mut text) = (Fnv::new(), Fnv::new());
            ours.count(n);
            text.field(&n.to_string());
            assert_eq!(ours.0, text.0, "{n}");
        }
    }
}
