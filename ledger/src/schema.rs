//! The journal's tables, as one migration the engine appends to its ordered list.
//!
//! It expects the engine's `companies`, `debtors` and `entries` tables (migration 1) and
//! follows their conventions: `STRICT` tables, the company column first in every key and
//! index (I11), money in INTEGER øre (I3), dates `YYYY-MM-DD`, times `YYYY-MM-DDTHH:MM:SS`,
//! booleans 0/1, `sum()` (never `total()`) over øre.
//!
//! - `journal_lines`: the drafts. Offsets are a JSON array of invoice numbers, so a line is
//!   one row to write and one to delete. `attention` is a generated
//!   column: the rule of [`crate::needs_attention`], computed from the text, the
//!   `fixed_by_person` flag and the accounts, so it cannot disagree with them. The account
//!   must be one of the company's debtors (a foreign key).
//! - `ledger_transactions`: what posting wrote, one row per transaction: the amount on the
//!   debtor account and its opposite on the offset account, so its two postings sum to zero
//!   by construction (I1); `transactions` and `trial_balance` show them as postings. (Every
//!   journal line books exactly two postings; a row per posting would write two more rows per
//!   line, which at a million lines costs seconds, and would need a trigger to keep I1. No
//!   view either: the engine's test that every table is STRICT would count it.) A
//!   transaction's id counts the company's transactions from 1 without gaps (a trigger), and
//!   its `chain` is a checksum over its content and the previous transaction's chain (see
//!   `ledger.rs`).
//! - `ledger_settlements`: what each transaction did to the entries, written *before* the
//!   transaction row (the foreign key is deferred to the commit) so that a trigger can refuse
//!   anything added to a transaction already written.
//!
//! No row of the ledger is ever updated or deleted: triggers abort any attempt (I2); a
//! correction is a new transaction.
//!
//! Posting finds the entries an offset names by scanning the company's entries once per
//! posting rather than by an index on `entries (company, debtor, invoice)`: such an index
//! would slow every entries import (a million rows) for the sake of one scan per posting.

/// The SQL of the migration. Run it once, in one transaction, after the engine's first.
pub const JOURNAL_MIGRATION: &str = "
-- AUTOINCREMENT: a line id is shown to people (`journal set-account 7 …`), so the id of a
-- posted (deleted) line is never given to another line.
CREATE TABLE journal_lines (
    company         INTEGER NOT NULL REFERENCES companies (key),
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    journal         TEXT NOT NULL CHECK (journal <> ''),
    date            TEXT NOT NULL,
    account         TEXT CHECK (account <> ''),
    text            TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > -9223372036854775808),
    offset_account  TEXT CHECK (offset_account <> ''),
    offsets         TEXT NOT NULL CHECK (json_valid(offsets) AND json_type(offsets) = 'array'),
    source          TEXT NOT NULL,
    fixed_by_person INTEGER NOT NULL DEFAULT 0 CHECK (fixed_by_person IN (0, 1)),
    attention       INTEGER NOT NULL GENERATED ALWAYS AS (
                        (substr(text, 1, 3) = '(!)' AND fixed_by_person = 0)
                        OR account IS NULL OR offset_account IS NULL) VIRTUAL,
    FOREIGN KEY (company, account) REFERENCES debtors (company, account)
) STRICT;

-- `journal list --journal`, `journal post --journal`: a journal's lines in id order.
CREATE INDEX journal_lines_by_journal ON journal_lines (company, journal);

-- A ledger transaction is one row: `amount` on the debtor `account` and its opposite on the
-- general-ledger `offset_account`. Its two postings sum to zero by construction (I1).
CREATE TABLE ledger_transactions (
    company        INTEGER NOT NULL REFERENCES companies (key),
    id             INTEGER NOT NULL CHECK (id > 0),
    journal        TEXT NOT NULL,
    date           TEXT NOT NULL,
    posted_at      TEXT NOT NULL,
    journal_line   INTEGER NOT NULL,
    text           TEXT NOT NULL,
    offsets        TEXT NOT NULL CHECK (json_valid(offsets) AND json_type(offsets) = 'array'),
    source         TEXT NOT NULL,
    account        TEXT NOT NULL CHECK (account <> ''),
    offset_account TEXT NOT NULL CHECK (offset_account <> ''),
    amount         INTEGER NOT NULL CHECK (amount <> 0 AND amount > -9223372036854775808),
    chain          TEXT NOT NULL,
    PRIMARY KEY (company, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_settlements (
    company          INTEGER NOT NULL,
    txn              INTEGER NOT NULL,
    entry_id         TEXT NOT NULL,
    invoice          TEXT NOT NULL,
    remaining_before INTEGER NOT NULL,
    remaining_after  INTEGER NOT NULL,
    PRIMARY KEY (company, txn, entry_id),
    FOREIGN KEY (company, txn) REFERENCES ledger_transactions (company, id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT, WITHOUT ROWID;

-- I2: the company's transactions are numbered 1, 2, 3, … so a missing one shows.
CREATE TRIGGER ledger_transactions_in_sequence BEFORE INSERT ON ledger_transactions
WHEN NEW.id <> (SELECT coalesce(max(id), 0) + 1 FROM ledger_transactions WHERE company = NEW.company)
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are numbered without gaps (I2)');
END;

-- I2: settlements are written before their transaction, never after.
CREATE TRIGGER ledger_settlements_closed BEFORE INSERT ON ledger_settlements
WHEN EXISTS (SELECT 1 FROM ledger_transactions WHERE company = NEW.company AND id = NEW.txn)
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;

-- I2: posted rows are never updated or deleted.
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;

CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;

CREATE TRIGGER ledger_settlements_no_update BEFORE UPDATE ON ledger_settlements
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;

CREATE TRIGGER ledger_settlements_no_delete BEFORE DELETE ON ledger_settlements
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;
";

/// The triggers that guard the ledger (I1, I2); `check_invariants` reports any that is
/// missing.
pub(crate) const LEDGER_TRIGGERS: &[&str] = &[
    "ledger_transactions_in_sequence",
    "ledger_settlements_closed",
    "ledger_transactions_no_update",
    "ledger_transactions_no_delete",
    "ledger_settlements_no_update",
    "ledger_settlements_no_delete",
];
