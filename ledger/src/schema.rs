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
//!   must be one of the company's debtors (a foreign key until [`JOURNAL_MIGRATION_2`]; since
//!   then the writers check it and `payrun verify` checks every line).
//! - `ledger_transactions`: what posting wrote, one row per transaction: the amount on the
//!   debtor account and its opposite on the offset account, so its two postings sum to zero
//!   by construction (I1); `transactions` and `trial_balance` show them as postings. (Every
//!   journal line books exactly two postings; a row per posting would write two more rows per
//!   line, which at a million lines costs seconds, and would need a trigger to keep I1. No
//!   view either: the engine's test that every table is STRICT would count it.) A
//!   transaction's id counts the company's transactions from 1 without gaps, and its `chain`
//!   is a checksum over its content, its settlements and the previous transaction's chain
//!   (see `ledger.rs`).
//! - `ledger_settlements`: what each transaction did to the entries, written with their
//!   transaction (until [`JOURNAL_MIGRATION_2`] a foreign key deferred to the commit checked
//!   that the transaction came; now `post` writes both in one flush and `check_invariants`
//!   reports settlements without their transaction).
//!
//! No row of the ledger is ever updated or deleted: triggers abort any attempt (I2); a
//! correction is a new transaction. The numbering and the settlements of a transaction are
//! kept by the one writer, `post`, and checked by `check_invariants` (`payrun verify`): a
//! gap, or a settlement added to a transaction after it was posted (the chain no longer
//! matches), is reported (until [`JOURNAL_MIGRATION_4`] two insert triggers refused them).
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

/// The triggers that guard the ledger (I2); `check_invariants` reports any that is missing.
pub(crate) const LEDGER_TRIGGERS: &[&str] = &[
    "ledger_transactions_no_update",
    "ledger_transactions_no_delete",
    "ledger_settlements_no_update",
    "ledger_settlements_no_delete",
];

/// The journal's second migration, which the engine runs as its schema version 6: the checks
/// that every row written paid for move out of the hot path, and the two insert triggers
/// become cheaper ones that refuse the same rows.
///
/// - `journal_lines` loses its `json_valid`/`json_type` CHECK on `offsets` and its foreign key
///   to `debtors`; `ledger_transactions` loses the same CHECK. SQLite evaluated the CHECK by
///   copying each bound text to add a terminator and parsing it twice, and the foreign key by
///   a lookup in `debtors`, for every draft line an import writes and every line posted.
///   Both are kept elsewhere: offsets are only ever written by [`crate::add_draft_lines`] and
///   `post` as the JSON that `sql::offsets_to_json` makes (an array of strings by
///   construction), an account only by `add_draft_lines` and `set_account`, which refuse an
///   account that is not one of the company's debtors before they write; and `payrun verify`
///   checks every row for both (the same `json_valid`/`json_type` test, and the debtor).
/// - The gapless-numbering trigger becomes an `AFTER INSERT` trigger that refuses a
///   transaction unless it is number 1 or the company's transaction before it exists: with
///   the primary key (no number twice) and no deletes, that is the same as "the next number"
///   and it refuses the same rows. (Its key lookup costs about what `max(id)` cost; the
///   saving is that an `AFTER` trigger reads the new row's values where they are, where a
///   `BEFORE` trigger made SQLite compute a copy of the whole row, 13 columns with their
///   texts copied.) The trigger that
///   refuses a settlement of a transaction already written becomes `AFTER INSERT` for the
///   same reason. A refusal still aborts the statement, so nothing of it is written.
/// - `ledger_settlements` loses its deferred foreign key to `ledger_transactions`, which cost
///   a lookup in the transactions for every settlement written and one in the settlements for
///   every transaction written after them. `post` writes a transaction's settlements and its
///   row in the same flush, in its one transaction, so the row is there at the commit; and
///   `check_invariants` (`payrun verify`) reports settlements of a transaction that does not
///   exist.
///
/// The tables are rebuilt as SQLite's ALTER TABLE documentation gives (the engine runs
/// migrations with foreign keys off and checks them before the commit): new table, rows
/// copied with their ids, old one dropped, new one renamed, indexes and triggers made again.
/// The triggers go first: a trigger that names a dropped table would stop the rename.
/// `journal_lines`' AUTOINCREMENT counter carries over, so an id given before is never given
/// again.
pub const JOURNAL_MIGRATION_2: &str = "
DROP TRIGGER ledger_transactions_in_sequence;
DROP TRIGGER ledger_settlements_closed;
DROP TRIGGER ledger_transactions_no_update;
DROP TRIGGER ledger_transactions_no_delete;
DROP TRIGGER ledger_settlements_no_update;
DROP TRIGGER ledger_settlements_no_delete;

CREATE TABLE journal_lines_v2 (
    company         INTEGER NOT NULL REFERENCES companies (key),
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    journal         TEXT NOT NULL CHECK (journal <> ''),
    date            TEXT NOT NULL,
    account         TEXT CHECK (account <> ''),
    text            TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > -9223372036854775808),
    offset_account  TEXT CHECK (offset_account <> ''),
    offsets         TEXT NOT NULL,
    source          TEXT NOT NULL,
    fixed_by_person INTEGER NOT NULL DEFAULT 0 CHECK (fixed_by_person IN (0, 1)),
    attention       INTEGER NOT NULL GENERATED ALWAYS AS (
                        (substr(text, 1, 3) = '(!)' AND fixed_by_person = 0)
                        OR account IS NULL OR offset_account IS NULL) VIRTUAL
) STRICT;

INSERT INTO journal_lines_v2 (company, id, journal, date, account, text, amount,
    offset_account, offsets, source, fixed_by_person)
SELECT company, id, journal, date, account, text, amount, offset_account, offsets, source,
    fixed_by_person
FROM journal_lines ORDER BY id;

-- The old table's counter, which may be above its largest id (lines posted).
DELETE FROM sqlite_sequence WHERE name = 'journal_lines_v2';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'journal_lines_v2', seq FROM sqlite_sequence WHERE name = 'journal_lines';

DROP TABLE journal_lines;
ALTER TABLE journal_lines_v2 RENAME TO journal_lines;

-- As in the journal's first migration.
CREATE INDEX journal_lines_by_journal ON journal_lines (company, journal);

CREATE TABLE ledger_transactions_v2 (
    company        INTEGER NOT NULL REFERENCES companies (key),
    id             INTEGER NOT NULL CHECK (id > 0),
    journal        TEXT NOT NULL,
    date           TEXT NOT NULL,
    posted_at      TEXT NOT NULL,
    journal_line   INTEGER NOT NULL,
    text           TEXT NOT NULL,
    offsets        TEXT NOT NULL,
    source         TEXT NOT NULL,
    account        TEXT NOT NULL CHECK (account <> ''),
    offset_account TEXT NOT NULL CHECK (offset_account <> ''),
    amount         INTEGER NOT NULL CHECK (amount <> 0 AND amount > -9223372036854775808),
    chain          TEXT NOT NULL,
    PRIMARY KEY (company, id)
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_transactions_v2 SELECT * FROM ledger_transactions ORDER BY company, id;

DROP TABLE ledger_transactions;
ALTER TABLE ledger_transactions_v2 RENAME TO ledger_transactions;

CREATE TABLE ledger_settlements_v2 (
    company          INTEGER NOT NULL,
    txn              INTEGER NOT NULL,
    entry_id         TEXT NOT NULL,
    invoice          TEXT NOT NULL,
    remaining_before INTEGER NOT NULL,
    remaining_after  INTEGER NOT NULL,
    PRIMARY KEY (company, txn, entry_id)
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_settlements_v2 SELECT * FROM ledger_settlements ORDER BY company, txn, entry_id;

DROP TABLE ledger_settlements;
ALTER TABLE ledger_settlements_v2 RENAME TO ledger_settlements;

-- I2: the company's transactions are numbered 1, 2, 3, … so a missing one shows. (The
-- primary key refuses a number twice, and nothing is deleted.)
CREATE TRIGGER ledger_transactions_in_sequence AFTER INSERT ON ledger_transactions
WHEN NEW.id <> 1 AND NOT EXISTS (SELECT 1 FROM ledger_transactions
                                 WHERE company = NEW.company AND id = NEW.id - 1)
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are numbered without gaps (I2)');
END;

-- I2: settlements are written before their transaction, never after.
CREATE TRIGGER ledger_settlements_closed AFTER INSERT ON ledger_settlements
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

/// The journal's third migration, which the engine runs as its schema version 7: the drafts'
/// index by journal goes. Every draft line an import writes entered it and every line posted
/// left it (a lookup each), while the queries that name a journal — posting one journal,
/// listing one — read the drafts in id order anyway, by id range, and test the journal on
/// each row. The drafts are a short-lived table (posting empties it), and nothing refers to
/// it by journal. Measured at 100,000 entries: see the commit that added this migration.
pub const JOURNAL_MIGRATION_3: &str = "
DROP INDEX journal_lines_by_journal;
";

/// The journal's fourth migration, which the engine runs as its schema version 14: the two
/// insert triggers go, `ledger_transactions_in_sequence` (a transaction is number 1 or the
/// one before it exists) and `ledger_settlements_closed` (no settlement of a transaction
/// already written). Each ran a trigger program for every row `post` writes, opening a
/// cursor on the transactions for one key lookup: at 100,000 entries 0.73 G of the posting's
/// 4.19 G instructions (17 %), for rows that only `post` writes, numbered from the last
/// transaction read inside its write transaction, each transaction's settlements in the same
/// flush before it. What they refused is still reported: `check_invariants` (`payrun verify`)
/// finds a gap in the numbering, and a settlement added to a posted transaction breaks that
/// transaction's chain checksum, which covers its settlements. The triggers that refuse any
/// update or delete of a posted row (I2) stay.
pub const JOURNAL_MIGRATION_4: &str = "
DROP TRIGGER ledger_transactions_in_sequence;
DROP TRIGGER ledger_settlements_closed;
";
