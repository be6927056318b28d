//! The posted ledger: reading transactions, the trial balance, and the checks of I1 and I2
//! that `payrun verify` runs.
//!
//! # The chain
//!
//! Each transaction stores `chain`: a 64-bit FNV-1a checksum, in hex, over the previous
//! transaction's chain and everything of its own (header, postings, settlements), each field
//! length-prefixed. [`check_invariants`] recomputes it, so a transaction changed or removed
//! behind the triggers' back (with the triggers dropped, or the file edited) shows as a broken
//! chain or a gap in the numbering. It is a checksum against accidents and careless edits, not
//! a signature: whoever can write the file can recompute it.

use crate::error::{JournalError, Result};
use crate::journal::{AccountBalance, AccountKind, LedgerTransaction, Posting, Settlement};
use crate::schema::LEDGER_TRIGGERS;
use crate::sql::{format_date, format_time, offsets_from_json, parse_date, parse_time};
use crate::Amount;
use rusqlite::Connection;
use std::fmt;
use std::iter::Peekable;

/// The chain value before a company's first transaction.
pub(crate) const CHAIN_START: &str = "0000000000000000";

/// The chain value of `transaction` after `previous`.
pub(crate) fn chain(previous: &str, transaction: &LedgerTransaction) -> String {
    let mut hash = Fnv::new();
    hash.field(previous);
    hash.field(&transaction.id.to_string());
    hash.field(&transaction.journal);
    hash.field(&format_date(transaction.date));
    hash.field(&format_time(transaction.posted_at));
    hash.field(&transaction.journal_line.to_string());
    hash.field(&transaction.text);
    hash.field(&transaction.offsets.len().to_string());
    for offset in &transaction.offsets {
        hash.field(offset);
    }
    hash.field(&transaction.source);
    hash.field(&transaction.postings.len().to_string());
    for posting in &transaction.postings {
        hash.field(posting.account_kind.as_str());
        hash.field(&posting.account);
        hash.field(&posting.amount.ore().to_string());
    }
    hash.field(&transaction.settlements.len().to_string());
    for settlement in &transaction.settlements {
        hash.field(&settlement.entry_id);
        hash.field(&settlement.invoice);
        hash.field(&settlement.remaining_before.ore().to_string());
        hash.field(&settlement.remaining_after.ore().to_string());
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
        self.bytes(text.len().to_string().as_bytes());
        self.bytes(b":");
        self.bytes(text.as_bytes());
    }
}

/// The company's ledger transactions, oldest first.
pub fn transactions(conn: &Connection, company: i64) -> Result<Vec<LedgerTransaction>> {
    let mut all = Vec::new();
    for_each_transaction(conn, company, |stored| {
        all.push(stored.transaction);
        Ok(())
    })?;
    Ok(all)
}

/// The company's trial balance: every account that has postings, with its balance (positive
/// is a debit balance), debtor accounts first, each kind by account. Posted transactions sum
/// to zero one by one, so the balances sum to zero (I1).
pub fn trial_balance(conn: &Connection, company: i64) -> Result<Vec<AccountBalance>> {
    let mut statement = conn.prepare_cached(
        "SELECT account_kind, account, sum(amount) FROM ledger_postings WHERE company = ?1 \
         GROUP BY account_kind, account ORDER BY account_kind, account",
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
    /// I1: a transaction's postings do not sum to zero, or it has fewer than two.
    Unbalanced {
        transaction: i64,
        postings: usize,
        sum: Amount,
    },
    /// I1: the postings of the company do not sum to zero.
    TrialBalance { sum: Amount },
    /// I2: a trigger that guards the ledger is missing.
    MissingTrigger { name: &'static str },
    /// I2: the transaction numbers skip: one was removed.
    Gap { expected: i64, found: i64 },
    /// I2: a transaction is not what was written.
    ChainBroken { transaction: i64 },
    /// I2: postings or settlements of a transaction that does not exist.
    Orphan {
        table: &'static str,
        transaction: i64,
    },
}

impl InvariantProblem {
    /// The invariant of `reliability.md` it breaks: `I1` or `I2`.
    pub fn invariant(&self) -> &'static str {
        match self {
            InvariantProblem::Unbalanced { .. } | InvariantProblem::TrialBalance { .. } => "I1",
            _ => "I2",
        }
    }
}

impl fmt::Display for InvariantProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvariantProblem::Unbalanced {
                transaction,
                postings,
                sum,
            } => write!(
                f,
                "ledger transaction {transaction} does not balance: {postings} postings summing to {sum}"
            ),
            InvariantProblem::TrialBalance { sum } => {
                write!(f, "the trial balance is {sum}, not zero")
            }
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
            InvariantProblem::Orphan { table, transaction } => write!(
                f,
                "{table} has rows of ledger transaction {transaction}, which does not exist"
            ),
        }
    }
}

/// Checks I1 and I2 on the company's posted ledger: every transaction has two or more
/// postings summing to zero, the trial balance is zero, the guarding triggers exist, the
/// transactions are numbered 1, 2, 3, … and each one's chain checksum matches. Returns the
/// problems found; none means the ledger is sound. One pass over the ledger, in key order.
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
    for_each_transaction(conn, company, |stored| {
        let transaction = &stored.transaction;
        if transaction.id != expected_id {
            problems.push(InvariantProblem::Gap {
                expected: expected_id,
                found: transaction.id,
            });
        }
        expected_id = transaction.id + 1;
        let sum = Amount::checked_sum(transaction.postings.iter().map(|p| p.amount));
        let balanced = sum == Ok(Amount::ZERO) && transaction.postings.len() >= 2;
        if !balanced {
            problems.push(InvariantProblem::Unbalanced {
                transaction: transaction.id,
                postings: transaction.postings.len(),
                sum: sum.unwrap_or(Amount::ZERO),
            });
        }
        if chain(&previous, transaction) != stored.chain {
            problems.push(InvariantProblem::ChainBroken {
                transaction: transaction.id,
            });
        }
        previous = stored.chain;
        Ok(())
    })
    .map(|orphans| problems.extend(orphans))?;
    let total: Option<i64> = conn
        .prepare_cached("SELECT sum(amount) FROM ledger_postings WHERE company = ?1")?
        .query_row([company], |row| row.get(0))?;
    let total = Amount::from_ore(total.unwrap_or(0));
    if !total.is_zero() {
        problems.push(InvariantProblem::TrialBalance { sum: total });
    }
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
    mut visit: impl FnMut(Stored) -> Result<()>,
) -> Result<Vec<InvariantProblem>> {
    let mut headers = conn.prepare_cached(
        "SELECT id, journal, date, posted_at, journal_line, text, offsets, source, chain \
         FROM ledger_transactions WHERE company = ?1 ORDER BY id",
    )?;
    let mut postings = conn.prepare_cached(
        "SELECT txn, account_kind, account, amount FROM ledger_postings \
         WHERE company = ?1 ORDER BY txn, position",
    )?;
    let mut settlements = conn.prepare_cached(
        "SELECT txn, entry_id, invoice, remaining_before, remaining_after \
         FROM ledger_settlements WHERE company = ?1 ORDER BY txn, entry_id",
    )?;
    let mut postings = postings
        .query_map([company], |row| {
            let kind: String = row.get(1)?;
            Ok((row.get::<_, i64>(0)?, kind, row.get(2)?, row.get(3)?))
        })?
        .peekable();
    let mut settlements = settlements
        .query_map([company], |row| {
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
    let mut rows = headers.query([company])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let what = format!("ledger transaction {id}");
        let date: String = row.get(2)?;
        let posted_at: String = row.get(3)?;
        let offsets: String = row.get(6)?;
        let mut transaction = LedgerTransaction {
            id,
            journal: row.get(1)?,
            date: parse_date(&date, &what)?,
            posted_at: parse_time(&posted_at, &what)?,
            journal_line: row.get(4)?,
            text: row.get(5)?,
            offsets: offsets_from_json(&offsets)?,
            source: row.get(7)?,
            postings: Vec::new(),
            settlements: Vec::new(),
        };
        for (_, kind, account, amount) in
            take_rows(&mut postings, id, "ledger_postings", &mut orphans)?
        {
            transaction.postings.push(Posting {
                account_kind: account_kind(&kind)?,
                account,
                amount: Amount::from_ore(amount),
            });
        }
        transaction.settlements =
            take_rows(&mut settlements, id, "ledger_settlements", &mut orphans)?;
        visit(Stored {
            transaction,
            chain: row.get(8)?,
        })?;
    }
    for (txn, ..) in postings.by_ref().collect::<rusqlite::Result<Vec<_>>>()? {
        push_orphan(&mut orphans, "ledger_postings", txn);
    }
    for settlement in settlements.by_ref().collect::<rusqlite::Result<Vec<_>>>()? {
        push_orphan(&mut orphans, "ledger_settlements", settlement.transaction);
    }
    Ok(orphans)
}

/// Rows that carry a transaction id.
trait OfTransaction {
    fn transaction(&self) -> i64;
}

impl OfTransaction for (i64, String, String, i64) {
    fn transaction(&self) -> i64 {
        self.0
    }
}

impl OfTransaction for Settlement {
    fn transaction(&self) -> i64 {
        self.transaction
    }
}

/// Takes the rows of transaction `id` from a stream in transaction order; rows of lower
/// transactions left before them belong to none and are reported.
fn take_rows<T: OfTransaction>(
    rows: &mut Peekable<impl Iterator<Item = rusqlite::Result<T>>>,
    id: i64,
    table: &'static str,
    orphans: &mut Vec<InvariantProblem>,
) -> Result<Vec<T>> {
    let mut taken = Vec::new();
    loop {
        if matches!(rows.peek(), Some(Err(_))) {
            if let Some(Err(error)) = rows.next() {
                return Err(error.into());
            }
        }
        let Some(Ok(row)) = rows.next_if(|r| matches!(r, Ok(row) if row.transaction() <= id))
        else {
            break;
        };
        if row.transaction() < id {
            push_orphan(orphans, table, row.transaction());
        } else {
            taken.push(row);
        }
    }
    Ok(taken)
}

fn push_orphan(orphans: &mut Vec<InvariantProblem>, table: &'static str, transaction: i64) {
    let problem = InvariantProblem::Orphan { table, transaction };
    if orphans.last() != Some(&problem) {
        orphans.push(problem);
    }
}
