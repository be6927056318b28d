//! The database schema, as an ordered list of migrations.
//!
//! Migration N (1-based) brings a database from `user_version` N-1 to N. Migrations are only
//! ever appended: a released migration is never edited, because databases in the field have
//! already run it.
//!
//! Conventions, for every table (see `reliability.md` and `performance.md`):
//! - `STRICT`, so a value of the wrong type is refused instead of stored;
//! - a `company` column first, part of every key and every index, so that each lookup is
//!   scoped to one company (I11);
//! - money in INTEGER øre (I3); dates as `YYYY-MM-DD` text, times as `YYYY-MM-DDTHH:MM:SS`,
//!   booleans as 0/1;
//! - text keys in `WITHOUT ROWID` tables, so a row is stored once, in key order;
//! - indexes only for the lookups the engine makes;
//! - foreign keys where they guard something no other key does: a table whose composite key
//!   already points at a company-scoped parent (entries → debtors) does not repeat the
//!   company → companies reference, and a payment line's debtor is checked against its
//!   entry's by the store, so each insert pays for as few lookups as it can.

/// The migrations, in order. `PRAGMA user_version` counts those applied.
///
/// Version 3 is the `ledger` crate's [`ledger::JOURNAL_MIGRATION`]: journal drafts and the
/// immutable ledger (`journal_lines`, `ledger_transactions`, `ledger_settlements` and the
/// triggers that guard I2). Version 6 is its [`ledger::JOURNAL_MIGRATION_2`] (the offsets
/// CHECKs, the drafts' debtor key and the settlements' key kept by the ledger's writers and
/// by `verify`, cheaper insert triggers), version 7 its [`ledger::JOURNAL_MIGRATION_3`]
/// (no index of the drafts by journal), and version 14 its [`ledger::JOURNAL_MIGRATION_4`]
/// (no insert triggers on the ledger: `verify` reports what they refused). The ledger owns
/// its tables; the engine only runs the SQL in order.
pub const MIGRATIONS: &[&str] = &[
    V1_MASTER_DATA_AND_LINES,
    V2_FILE_ARCHIVE,
    ledger::JOURNAL_MIGRATION,
    V4_NO_STATUS_INDEX,
    V5_STATUS_CHECK_BY_COMPARISONS,
    ledger::JOURNAL_MIGRATION_2,
    ledger::JOURNAL_MIGRATION_3,
    V8_CHARGES_BY_DATE_AND_CUSTOMER,
    V9_CHARGES_HOLD_THEIR_LINES,
    V10_APPLIED_RECORDS_BY_HASH,
    V11_STATUS_EVENTS,
    V12_PACKED_ARCHIVE,
    V13_CHARGES_BY_DATE_FORMAT_AND_CUSTOMER,
    ledger::JOURNAL_MIGRATION_4,
];

const V1_MASTER_DATA_AND_LINES: &str = "
CREATE TABLE companies (
    key  INTEGER PRIMARY KEY,
    id   TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE payment_formats (
    company                   INTEGER NOT NULL REFERENCES companies (key),
    id                        TEXT NOT NULL,
    scheme                    TEXT NOT NULL CHECK (scheme IN ('bs', 'ls')),
    bs_type                   TEXT CHECK (bs_type IN ('basis', 'total')),
    creditor_number           TEXT NOT NULL,
    supplier_cvr              TEXT NOT NULL,
    debtor_group              TEXT NOT NULL,
    system_code               TEXT NOT NULL,
    principle                 TEXT NOT NULL CHECK (principle IN ('standard', 'remaining')),
    bank_account              TEXT,
    journal                   TEXT NOT NULL,
    banking_day_action        TEXT NOT NULL CHECK (banking_day_action IN ('after', 'before', 'none')),
    cutoff                    TEXT NOT NULL,
    extended_deadline         INTEGER NOT NULL CHECK (extended_deadline IN (0, 1)),
    allow_without_invoice     INTEGER NOT NULL CHECK (allow_without_invoice IN (0, 1)),
    block_payouts             INTEGER NOT NULL CHECK (block_payouts IN (0, 1)),
    create_payment_id         INTEGER NOT NULL CHECK (create_payment_id IN (0, 1)),
    debtor_account_as_mandate INTEGER NOT NULL CHECK (debtor_account_as_mandate IN (0, 1)),
    PRIMARY KEY (company, id)
) STRICT, WITHOUT ROWID;

-- tax_id holds a whole CPR number: personal data, never printed whole (I12).
CREATE TABLE debtors (
    company        INTEGER NOT NULL REFERENCES companies (key),
    account        TEXT NOT NULL,
    name           TEXT NOT NULL,
    tax_id         TEXT,
    address        TEXT NOT NULL,
    postcode       TEXT NOT NULL,
    city           TEXT NOT NULL,
    country        TEXT NOT NULL,
    email          TEXT NOT NULL,
    payment_format TEXT,
    PRIMARY KEY (company, account),
    FOREIGN KEY (company, payment_format) REFERENCES payment_formats (company, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE mandates (
    company        INTEGER NOT NULL,
    mandate_id     TEXT NOT NULL,
    debtor         TEXT NOT NULL,
    payment_format TEXT NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('none', 'registered', 'enrolled', 'unsubscribed', 'error')),
    agreement      TEXT,
    start_date     TEXT,
    end_date       TEXT,
    alt_mandate_id TEXT,
    PRIMARY KEY (company, mandate_id),
    FOREIGN KEY (company, debtor) REFERENCES debtors (company, account),
    FOREIGN KEY (company, payment_format) REFERENCES payment_formats (company, id)
) STRICT, WITHOUT ROWID;

-- `mandates list --debtor`, and a debtor's mandates for the run.
CREATE INDEX mandates_by_debtor ON mandates (company, debtor);

CREATE TABLE entries (
    company           INTEGER NOT NULL,
    entry_id          TEXT NOT NULL,
    debtor            TEXT NOT NULL,
    date              TEXT,
    due_date          TEXT NOT NULL,
    invoice           TEXT,
    amount            INTEGER NOT NULL,
    remaining         INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    text              TEXT NOT NULL,
    has_invoice_lines INTEGER NOT NULL CHECK (has_invoice_lines IN (0, 1)),
    payment_id        TEXT,
    PRIMARY KEY (company, entry_id),
    FOREIGN KEY (company, debtor) REFERENCES debtors (company, account)
) STRICT, WITHOUT ROWID;

-- AUTOINCREMENT: a line id is shown to people and written in logs, so a deleted line's id is
-- never given to another line.
CREATE TABLE payment_lines (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    company           INTEGER NOT NULL,
    entry_id          TEXT NOT NULL,
    debtor            TEXT NOT NULL,
    format_id         TEXT NOT NULL,
    payment_date      TEXT NOT NULL,
    partial_payment   INTEGER,
    status            TEXT NOT NULL CHECK (status IN ('blank', 'sent', 'to-be-treated',
                          'unsubscribed', 'rejected', 'reversed', 'error', 'received',
                          'difference', 'transmitting', 'waiting', 'information', 'stop')),
    errors            TEXT,
    comment           TEXT NOT NULL DEFAULT '',
    group_id          TEXT,
    allow_overwriting INTEGER NOT NULL DEFAULT 0 CHECK (allow_overwriting IN (0, 1)),
    reference         TEXT,
    date_sent         TEXT,
    delivery_id       TEXT,
    cancellation_sent INTEGER NOT NULL DEFAULT 0 CHECK (cancellation_sent IN (0, 1)),
    FOREIGN KEY (company, entry_id) REFERENCES entries (company, entry_id),
    FOREIGN KEY (company, format_id) REFERENCES payment_formats (company, id)
) STRICT;

-- An entry's lines (suggest: does the entry have a live line?; entry re-import).
CREATE INDEX payment_lines_by_entry ON payment_lines (company, entry_id);
-- No index by debtor and payment date: the one-charge-per-debtor-per-date rule runs on the run
-- data in memory, and inserting a million lines into such an index (in an order unrelated to
-- the entries') made suggest half again as slow. `list --debtor` scans the company's lines.
-- Export and `list --status`.
CREATE INDEX payment_lines_by_status ON payment_lines (company, status);
-- The payment reference is unique and matches bank answers to lines.
CREATE UNIQUE INDEX payment_lines_by_reference ON payment_lines (company, reference)
    WHERE reference IS NOT NULL;

CREATE TABLE status_log (
    id      INTEGER PRIMARY KEY,
    company INTEGER NOT NULL,
    line    INTEGER NOT NULL REFERENCES payment_lines (id),
    at      TEXT NOT NULL,
    old     TEXT,
    new     TEXT NOT NULL,
    cause   TEXT NOT NULL
) STRICT;

-- `show LINE` prints a line's log.
CREATE INDEX status_log_by_line ON status_log (line);
";

/// The delivery files (domain.md §7): the file archive with its status log, the export
/// counters, the charges sent (one row per 042/580 record, which a bank answer names by its
/// payment reference), the return records already applied (I5) and the mandate log.
///
/// The payment reference becomes the reference of a *charge*: every line of a collective
/// payment carries it, so the unique index of version 1 (one line per reference) gives way to
/// a plain index, and the uniqueness moves to `charges`' primary key.
const V2_FILE_ARCHIVE: &str = "
-- Every file sent or received. The key columns are the delivery key of domain.md §7; an
-- absent creation date is '' (not NULL), so the UNIQUE constraint sees it. `content` is the
-- delivery text as ISO 8859-1 bytes: for a received file the bytes as read, for a sent file
-- the text inside the ZIP archive. `content_hash` is FNV-1a-64 of the normalised content.
CREATE TABLE delivery_files (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    company        INTEGER NOT NULL REFERENCES companies (key),
    created        TEXT NOT NULL,
    creditor       TEXT NOT NULL,
    export         INTEGER NOT NULL CHECK (export IN (0, 1)),
    file_name      TEXT NOT NULL,
    scheme         TEXT NOT NULL CHECK (scheme IN ('bs', 'ls')),
    delivery_type  TEXT NOT NULL,
    data_supplier  TEXT NOT NULL,
    system_code    TEXT NOT NULL,
    delivery_id    TEXT NOT NULL,
    creation_date  TEXT NOT NULL,
    payment_format TEXT,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error')),
    reconciled     INTEGER NOT NULL DEFAULT 0 CHECK (reconciled IN (0, 1)),
    records        INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    content        BLOB NOT NULL,
    content_hash   TEXT NOT NULL,
    UNIQUE (company, data_supplier, system_code, delivery_type, delivery_id, creation_date)
) STRICT;

-- `archive list --year --month`.
CREATE INDEX delivery_files_by_created ON delivery_files (company, created);

CREATE TABLE delivery_file_log (
    id      INTEGER PRIMARY KEY,
    company INTEGER NOT NULL,
    file    INTEGER NOT NULL REFERENCES delivery_files (id),
    at      TEXT NOT NULL,
    text    TEXT NOT NULL
) STRICT;

CREATE INDEX delivery_file_log_by_file ON delivery_file_log (file);

-- The last delivery id and the last charge number given, per company.
CREATE TABLE exchange_counters (
    company          INTEGER PRIMARY KEY REFERENCES companies (key),
    last_delivery_id INTEGER NOT NULL,
    last_charge      INTEGER NOT NULL
) STRICT;

-- One row per charge sent. `customer_key` is the customer number as bank answers are
-- compared with it (upper case, leading zeros stripped, formats.md §8.8).
CREATE TABLE charges (
    company      INTEGER NOT NULL,
    reference    TEXT NOT NULL,
    file         INTEGER NOT NULL REFERENCES delivery_files (id),
    format_id    TEXT NOT NULL,
    debtor       TEXT NOT NULL,
    customer_key TEXT NOT NULL,
    payment_date TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    group_id     TEXT,
    PRIMARY KEY (company, reference)
) STRICT, WITHOUT ROWID;

-- The fallback match of a bank answer: customer number and payment date.
CREATE INDEX charges_by_customer ON charges (company, customer_key, payment_date);

DROP INDEX payment_lines_by_reference;
-- Every line of a charge carries its reference: the lines a bank answer names.
CREATE INDEX payment_lines_by_reference ON payment_lines (company, reference)
    WHERE reference IS NOT NULL;

-- I5: the return records applied, by FNV-1a-64 of the record text (as an integer). A hash hit
-- is confirmed by comparing the record text kept in the archived file at `file`, `line`.
CREATE TABLE applied_records (
    id      INTEGER PRIMARY KEY,
    company INTEGER NOT NULL,
    hash    INTEGER NOT NULL,
    file    INTEGER NOT NULL REFERENCES delivery_files (id),
    line    INTEGER NOT NULL
) STRICT;

CREATE INDEX applied_records_by_hash ON applied_records (company, hash);

-- Every change of a mandate by a bank file (0603, LS type 30), with its cause.
CREATE TABLE mandate_log (
    id         INTEGER PRIMARY KEY,
    company    INTEGER NOT NULL,
    mandate_id TEXT NOT NULL,
    at         TEXT NOT NULL,
    old        TEXT,
    new        TEXT NOT NULL,
    cause      TEXT NOT NULL
) STRICT;

CREATE INDEX mandate_log_by_mandate ON mandate_log (company, mandate_id);
";

/// The index of payment lines by status goes: every status change (a million at export, as
/// many at import delivery) paid to move the line in it, and every new line to enter it,
/// while only `list --status` used it. The run steps read all of a company's lines anyway;
/// `list --status` now scans them, as `list --debtor` does. Measured at 1,000,000 entries:
/// see the commit that added this migration.
const V4_NO_STATUS_INDEX: &str = "
DROP INDEX payment_lines_by_status;
";

/// The CHECK on a payment line's status becomes a chain of comparisons with the same 13
/// values. SQLite evaluates `status IN (…13 values…)` in a CHECK constraint by building a
/// temporary B-tree of the values for every row it inserts or whose status it updates (in a
/// CHECK the list is not built once per statement): at import delivery that was about a
/// quarter of all instructions (opening, filling and freeing the B-tree per line), and
/// suggest and export pay it per line too. A chain of comparisons costs a few string
/// compares. Measured at 100,000 and 1,000,000 entries: see the commit that added this
/// migration.
///
/// SQLite cannot alter a CHECK in place, so the table is rebuilt the way its ALTER TABLE
/// documentation gives (the migration runs with foreign keys off and checks them before
/// it commits): new table, rows copied with their ids, old table dropped, new one renamed,
/// indexes made again. The AUTOINCREMENT counter carries over, so an id given before is
/// never given again.
const V5_STATUS_CHECK_BY_COMPARISONS: &str = "
CREATE TABLE payment_lines_v5 (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    company           INTEGER NOT NULL,
    entry_id          TEXT NOT NULL,
    debtor            TEXT NOT NULL,
    format_id         TEXT NOT NULL,
    payment_date      TEXT NOT NULL,
    partial_payment   INTEGER,
    status            TEXT NOT NULL CHECK (status = 'blank' OR status = 'sent'
                          OR status = 'to-be-treated' OR status = 'unsubscribed'
                          OR status = 'rejected' OR status = 'reversed' OR status = 'error'
                          OR status = 'received' OR status = 'difference'
                          OR status = 'transmitting' OR status = 'waiting'
                          OR status = 'information' OR status = 'stop'),
    errors            TEXT,
    comment           TEXT NOT NULL DEFAULT '',
    group_id          TEXT,
    allow_overwriting INTEGER NOT NULL DEFAULT 0 CHECK (allow_overwriting IN (0, 1)),
    reference         TEXT,
    date_sent         TEXT,
    delivery_id       TEXT,
    cancellation_sent INTEGER NOT NULL DEFAULT 0 CHECK (cancellation_sent IN (0, 1)),
    FOREIGN KEY (company, entry_id) REFERENCES entries (company, entry_id),
    FOREIGN KEY (company, format_id) REFERENCES payment_formats (company, id)
) STRICT;

INSERT INTO payment_lines_v5 (id, company, entry_id, debtor, format_id, payment_date,
    partial_payment, status, errors, comment, group_id, allow_overwriting, reference,
    date_sent, delivery_id, cancellation_sent)
SELECT id, company, entry_id, debtor, format_id, payment_date, partial_payment, status,
    errors, comment, group_id, allow_overwriting, reference, date_sent, delivery_id,
    cancellation_sent
FROM payment_lines ORDER BY id;

-- The old table's counter, which may be above its largest id (lines deleted).
DELETE FROM sqlite_sequence WHERE name = 'payment_lines_v5';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'payment_lines_v5', seq FROM sqlite_sequence WHERE name = 'payment_lines';

DROP TABLE payment_lines;
ALTER TABLE payment_lines_v5 RENAME TO payment_lines;

-- As in versions 1 and 2.
CREATE INDEX payment_lines_by_entry ON payment_lines (company, entry_id);
CREATE INDEX payment_lines_by_reference ON payment_lines (company, reference)
    WHERE reference IS NOT NULL;
";

/// The fallback match's index of the charges (a bank answer without a known reference is
/// matched by customer number and payment date) is keyed by date first: (company,
/// payment_date, customer_key) instead of (company, customer_key, payment_date). The lookup
/// names both, so either order finds the same rows; but export numbers and inserts its
/// charges sorted by payment date and customer number, so with the date first each insert
/// lands next to the one before (nearly an append), where with the customer first half a
/// million inserts a run landed all over the index. Measured at 100,000 entries: see the
/// commit that added this migration.
const V8_CHARGES_BY_DATE_AND_CUSTOMER: &str = "
DROP INDEX charges_by_customer;
CREATE INDEX charges_by_date_and_customer ON charges (company, payment_date, customer_key);
";

/// A charge keeps the ids of the lines it was sent for (`lines`: ascending, comma-separated),
/// and the index of the payment lines by reference goes. A bank answer names a charge by its
/// reference; the import reads the charge and then its lines by id, where it looked them up
/// in that index. Export gave a million lines their references in charge order (payment date,
/// customer), which is no order of the lines: each of a million index inserts landed on a
/// random page of a growing index (at 1,000,000 entries, 1.5 s of CPU in the `sqlite3` shell,
/// more than the rest of the lines' update).
///
/// A line sent again later carries the newer charge's reference, and is listed by both
/// charges: an answer to the older charge changes only the lines that still carry its
/// reference, as the lookup by reference did. `list --reference` now reads the company's
/// lines, as `list --debtor` does.
///
/// The existing charges get the lines that carry their reference (read through the index,
/// before it goes).
const V9_CHARGES_HOLD_THEIR_LINES: &str = "
ALTER TABLE charges ADD COLUMN lines TEXT NOT NULL DEFAULT '';

UPDATE charges SET lines = coalesce((
    SELECT group_concat(l.id, ',' ORDER BY l.id) FROM payment_lines l
    WHERE l.company = charges.company AND l.reference = charges.reference), '');

DROP INDEX payment_lines_by_reference;
";

/// I5's register of the return records applied becomes a `WITHOUT ROWID` table keyed by
/// (company, hash, file, line): the lookup by hash is the key itself, where before each row
/// went into the table (by a running id nothing read) and into an index by hash. In the
/// `sqlite3` shell, a million rows in hash order took 1.36 s into the old table and its index,
/// 0.41 s into this one. A record is registered once per place it was applied from (verify's
/// I5 check looks for a place registered twice); a place the old table held twice is kept
/// once.
const V10_APPLIED_RECORDS_BY_HASH: &str = "
CREATE TABLE applied_records_v10 (
    company INTEGER NOT NULL,
    hash    INTEGER NOT NULL,
    file    INTEGER NOT NULL REFERENCES delivery_files (id),
    line    INTEGER NOT NULL,
    PRIMARY KEY (company, hash, file, line)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO applied_records_v10 (company, hash, file, line)
    SELECT company, hash, file, line FROM applied_records;

DROP TABLE applied_records;
ALTER TABLE applied_records_v10 RENAME TO applied_records;
";

/// The status log becomes events and changes (see `store::status_log`): `status_events`
/// holds each (company, time, old, new, cause) once, `status_changes` an `(event, line)` row
/// per changed line, keyed by that pair; the view `status_log` joins them back into one row
/// per change. A step's rows are now appended at the end of one narrow table. Before, each
/// went into the log's table, into its index by line (at the line's place: a walk over the
/// whole index), and past the foreign key to its line. In the `sqlite3` shell at 1,000,000
/// entries, 931,868 changes of an import took 2.14 s into the old log and 0.38 s into the new
/// one. A line's changes are read in event order, which the writers keep chronological.
///
/// The old rows become events by runs: a row starts a new event unless the row before it (by
/// id) has the same company, time, statuses and cause, so each line's changes keep their
/// order. At 1,000,000 entries after a whole cycle, 2,960,277 rows made 47,347 events in
/// about 5 s.
///
/// The foreign key from a change to its line goes with the index: deleting a line would
/// have to look for its changes without one. `verify` checks that every change names a line
/// of the event's company (I11).
const V11_STATUS_EVENTS: &str = "
CREATE TABLE status_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    company INTEGER NOT NULL REFERENCES companies (key),
    at      TEXT NOT NULL,
    old     TEXT,
    new     TEXT NOT NULL,
    cause   TEXT NOT NULL
) STRICT;

CREATE TABLE status_changes (
    event INTEGER NOT NULL REFERENCES status_events (id),
    line  INTEGER NOT NULL,
    PRIMARY KEY (event, line)
) STRICT, WITHOUT ROWID;

INSERT INTO status_events (id, company, at, old, new, cause)
    SELECT s.id, s.company, s.at, s.old, s.new, s.cause FROM status_log s
    LEFT JOIN status_log p ON p.id = s.id - 1
    WHERE p.id IS NULL OR p.company IS NOT s.company OR p.at IS NOT s.at
       OR p.old IS NOT s.old OR p.new IS NOT s.new OR p.cause IS NOT s.cause
    ORDER BY s.id;

INSERT INTO status_changes (event, line)
    SELECT r.id, s.line
    FROM (SELECT id, lead(id, 1, 9223372036854775807) OVER (ORDER BY id) AS next
          FROM status_events) r
    JOIN status_log s ON s.id >= r.id AND s.id < r.next;

DROP TABLE status_log;

CREATE VIEW status_log (company, line, event, at, old, new, cause) AS
    SELECT e.company, c.line, c.event, e.at, e.old, e.new, e.cause
    FROM status_changes c JOIN status_events e ON e.id = c.event;
";

/// The archive's texts packed (`store/packed.rs`): a delivery of a million charges is 114 MB
/// of XML, and writing it into the database (into the WAL, then again at the checkpoint) was
/// a tenth of the export. The rows archived before keep their text as it is (`none`).
const V12_PACKED_ARCHIVE: &str = "
ALTER TABLE delivery_files ADD COLUMN content_encoding TEXT NOT NULL DEFAULT 'none'
    CHECK (content_encoding IN ('none', 'lz4'));
";

/// The charges' index by date and customer names the payment format between them: (company,
/// payment_date, format_id, customer_key). The fallback match names all four. An LS 0690's
/// receipts name a format and a date, and their lines are found through the charges of that
/// format and date (`Importer::load_receipt_lines`), where before every payment line was
/// read: at a million entries 0.2 s for a file of 39 receipts, growing with the company's
/// history. Export inserts a file's charges in date and customer order, and a file is of one
/// format, so each insert still lands next to the one before.
const V13_CHARGES_BY_DATE_FORMAT_AND_CUSTOMER: &str = "
DROP INDEX charges_by_date_and_customer;
CREATE INDEX charges_by_date_format_and_customer
    ON charges (company, payment_date, format_id, customer_key);
";
