//! The journal's tables, as one migration the engine appends to its ordered list.
//!
//! It expects the engine's `companies`, `debtors` and `entries` tables (migration 1) and
//! follows their conventions: `STRICT` tables, the company column first in every key and
//! index (I11), money in INTEGER øre (I3), dates `YYYY-MM-DD`, times `YYYY-MM-DDTHH:MM:SS`,
//! booleans 0/1, `sum()` (never `total()`) over øre.
//!
//! - `journal_lines`: the drafts. Offsets are a JSON array of invoice numbers (read back with
//!   `json_each`), so a line is one row to write and one to delete. `attention` is a generated
//!   column: the rule of [`crate::needs_attention`], computed from the text, the
//!   `fixed_by_person` flag and the accounts, so it cannot disagree with them. The account
//!   must be one of the company's debtors (a foreign key).
//! - `ledger_transactions`, `ledger_postings`, `ledger_settlements`: what posting wrote. A
//!   transaction's id counts the company's transactions from 1 without gaps, and its `chain`
//!   is a checksum over its content and the previous transaction's chain (see
//!   `invariants.rs`). Postings and settlements are written *before* their transaction row
//!   (their foreign keys are deferred to the commit), so the transaction row's insert trigger
//!   can refuse a transaction whose postings do not sum to zero (I1), and the children's
//!   insert triggers can refuse anything added to a transaction already written. No row of
//!   the three tables is ever updated or deleted: triggers abort any attempt (I2); a
//!   correction is a new transaction.
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
    amount          INTEGER NOT NULL,
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

CREATE TABLE ledger_transactions (
    company      INTEGER NOT NULL REFERENCES companies (key),
    id           INTEGER NOT NULL CHECK (id > 0),
    journal      TEXT NOT NULL,
    date         TEXT NOT NULL,
    posted_at    TEXT NOT NULL,
    journal_line INTEGER NOT NULL,
    text         TEXT NOT NULL,
    offsets      TEXT NOT NULL CHECK (json_valid(offsets) AND json_type(offsets) = 'array'),
    source       TEXT NOT NULL,
    chain        TEXT NOT NULL,
    PRIMARY KEY (company, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_postings (
    company      INTEGER NOT NULL,
    txn          INTEGER NOT NULL,
    position     INTEGER NOT NULL CHECK (position > 0),
    account_kind TEXT NOT NULL CHECK (account_kind IN ('debtor', 'general')),
    account      TEXT NOT NULL CHECK (account <> ''),
    amount       INTEGER NOT NULL,
    PRIMARY KEY (company, txn, position),
    FOREIGN KEY (company, txn) REFERENCES ledger_transactions (company, id)
        DEFERRABLE INITIALLY DEFERRED
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

-- I1: a transaction is written after its postings, and only when there are at least two and
-- they sum to zero.
CREATE TRIGGER ledger_transactions_balance BEFORE INSERT ON ledger_transactions
WHEN (SELECT count(*) FROM ledger_postings WHERE company = NEW.company AND txn = NEW.id) < 2
  OR (SELECT sum(amount) FROM ledger_postings WHERE company = NEW.company AND txn = NEW.id) <> 0
BEGIN
    SELECT RAISE(ABORT, 'a ledger transaction needs two or more postings that sum to zero (I1)');
END;

-- I2: the company's transactions are numbered 1, 2, 3, … so a missing one shows.
CREATE TRIGGER ledger_transactions_in_sequence BEFORE INSERT ON ledger_transactions
WHEN NEW.id <> (SELECT coalesce(max(id), 0) + 1 FROM ledger_transactions WHERE company = NEW.company)
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are numbered without gaps (I2)');
END;

-- I2: nothing is added to a transaction once it is written.
CREATE TRIGGER ledger_postings_closed BEFORE INSERT ON ledger_postings
WHEN EXISTS (SELECT 1 FROM ledger_transactions WHERE company = NEW.company AND id = NEW.txn)
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;

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

CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
END;

CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
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
    "ledger_transactions_balance",
    "ledger_transactions_in_sequence",
    "ledger_postings_closed",
    "ledger_settlements_closed",
    "ledger_transactions_no_update",
    "ledger_transactions_no_delete",
    "ledger_postings_no_update",
    "ledger_postings_no_delete",
    "ledger_settlements_no_update",
    "ledger_settlements_no_delete",
];
