//! The command line as clap types. Values are parsed into typed requests here, so a bad
//! month or date is refused (exit 2) before any command runs.

use chrono::{NaiveDate, NaiveDateTime};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "payrun",
    version,
    about = "Danish direct-debit payment runs: Betalingsservice and Leverandørservice",
    long_about = "Danish direct-debit payment runs for Betalingsservice (BS) and Leverandørservice (LS).\n\n\
        Exit codes: 0 success; 1 the command ran but left work for a person; 2 error (bad input \
        or a refused operation; nothing was changed).",
    after_help = "Example:\n  payrun --json calendar deadline --scheme bs --payment-date 2026-06-01"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The SQLite database.
    #[arg(long, env = "PAYRUN_DB", default_value = "payrun.db", global = true)]
    pub db: PathBuf,

    /// The creditor company to work in (default: the only company in the database).
    #[arg(long, env = "PAYRUN_COMPANY", global = true)]
    pub company: Option<String>,

    /// The current Danish local time, YYYY-MM-DDTHH:MM (default: the system clock, in Europe/Copenhagen).
    #[arg(long, env = "PAYRUN_NOW", global = true, value_parser = parse_now)]
    pub now: Option<NaiveDateTime>,

    /// Print one JSON document on stdout instead of a table.
    #[arg(long, global = true)]
    pub json: bool,

    /// Extra bank closing days, a CSV file with the columns date,name.
    #[arg(long, value_name = "FILE.csv", global = true)]
    pub closing_days: Option<PathBuf>,

    /// Less log output on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (if missing) and a creditor company in it.
    #[command(
        after_help = "Example:\n  payrun --db acme.db init --company acme --name \"Acme A/S\""
    )]
    Init {
        /// The company's display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Payment formats: how the company collects through BS or LS.
    #[command(subcommand)]
    Format(FormatCommand),
    /// Import master data from CSV files (debtors, mandates, entries) or bank deliveries.
    #[command(
        subcommand,
        after_help = "CSV files are UTF-8 (a BOM is accepted), comma separated, with a header row \
        naming the columns in any order; amounts like 1234.50, dates YYYY-MM-DD. A row that is \
        wrong refuses the whole file (file:line: column: what was wrong) and nothing is imported; \
        importing a row again updates it."
    )]
    Import(ImportCommand),
    /// Propose a payment line for every open entry of a debtor with a BS or LS payment format.
    #[command(
        after_help = "Running it twice creates nothing new.\n\nExample:\n  payrun --now 2026-05-04T09:00 suggest --earliest"
    )]
    Suggest {
        /// Move each payment date to the earliest date that still meets every deadline rule.
        #[arg(long)]
        earliest: bool,
    },
    /// Check every line that can still be exported against every rule; exit 1 if any line fails.
    #[command(
        after_help = "A run of more than 1,000 lines lists only its first 1,000 failed lines, then the count of failed\nlines per rule; --json lists every line.\n\nExample:\n  payrun --json --now 2026-05-04T09:00 validate"
    )]
    Validate,
    /// Group lines per debtor and payment date into collective payments (--off dissolves them).
    #[command(after_help = "Example:\n  payrun --json collect")]
    Collect {
        /// Dissolve all groups again.
        #[arg(long)]
        off: bool,
    },
    /// List payment lines, filtered.
    #[command(
        after_help = "Examples:\n  payrun list --status blank --status waiting\n  payrun list --debtor 100100 --period 3m"
    )]
    List(ListArgs),
    /// Show one payment line with its whole status log.
    #[command(after_help = "Example:\n  payrun show 17")]
    Show {
        /// The line id.
        line: i64,
    },
    /// Change the status of payment lines by hand.
    #[command(subcommand)]
    Status(StatusCommand),
    /// Charge part of an entry: set or clear a line's partial payment.
    #[command(subcommand)]
    Partial(PartialCommand),
    /// Move a line not sent yet to another payment date.
    #[command(subcommand)]
    PaymentDate(PaymentDateCommand),
    /// Mandates (customer numbers) and their status.
    #[command(subcommand)]
    Mandates(MandatesCommand),
    /// CSV of lines whose debtors must be notified before the payment date (for a mail merge).
    #[command(after_help = "Example:\n  payrun reminders --days 3 > notify.csv")]
    Reminders {
        /// Banking days of notice before the payment date.
        #[arg(long, default_value_t = 3)]
        days: u32,
    },
    /// Write the delivery files to Mastercard: every exportable ok line, one charge per collective payment.
    #[command(
        after_help = "Re-validates first and sends only ok lines; marks them sent and archives the \
        files, all in one transaction. One file per payment format: BS 0601 \
        (AB_PBSXML000<yyyymm><supplier CVR><delivery id>PROD, zipped unless --no-zip) and LS \
        type 40 (NetsLS_<yymmdd>_<delivery id>). Delivery ids run across the companies of the \
        database, as they may share a data supplier. A second export sends nothing new. Exit 1 when \
        a charge was held back.\n\nExamples:\n  payrun --now 2026-05-04T09:00 export --out outbox\n  \
        payrun --json export --out outbox --no-zip"
    )]
    Export {
        /// The directory to write the files to (must exist).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write BS files as plain text instead of a ZIP archive.
        #[arg(long)]
        no_zip: bool,
    },
    /// The accounting journal: the draft lines of the bank's answers, fixed by a person and posted.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// The file archive: every delivery file sent or received.
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Write the answers Mastercard would send to an exported file (BS 0602; LS 0690 and 0602). Needs no database.
    #[command(
        after_help = "Reads an exported BS 0601 (zipped or not) or LS type 40 file. Rates are \
        fractions from 0 to 1 with at most 6 decimals; the rest of the payments are completed. \
        The same file, seed and rates always give the same answers.\n\nExample:\n  \
        payrun simulate-bank outbox/AB_PBSXML000202605112233440000000001PROD.zip --out inbox \
        --seed 7 --reject 0.02 --cancel 0.01 --chargeback 0.005 --difference 0.005"
    )]
    SimulateBank {
        /// The exported file.
        file: PathBuf,
        /// The directory to write the answers to (must exist).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The seed of the simulation.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of payments rejected by the debtor (0237 / LS 0530).
        #[arg(long, value_parser = parse_rate, default_value = "0")]
        reject: u32,
        /// Share of payments cancelled because the mandate ended (0238 / LS 0540).
        #[arg(long, value_parser = parse_rate, default_value = "0")]
        cancel: u32,
        /// Share of payments charged back by the debtor's bank (0239 / LS 0555).
        #[arg(long, value_parser = parse_rate, default_value = "0")]
        chargeback: u32,
        /// Share of payments completed for another amount.
        #[arg(long, value_parser = parse_rate, default_value = "0")]
        difference: u32,
    },
    /// Check the promises of reliability.md on the whole database; exit 1 if one fails.
    #[command(
        after_help = "Checks PRAGMA integrity_check and foreign_key_check and the invariants \
        a database can show (I1–I9 and I11: the journal balances, the ledger is untouched, integer øre, deliveries and return records applied once, status edges, one export per line, banking days and deadlines, company isolation), and that every sent line is listed by its charge (the list a bank answer finds its lines by), over every company. Give the same --closing-days as the export had, and I9 checks the payment dates against those closing days too.\n\nExamples:\n  payrun --json verify\n  payrun --closing-days closing.csv verify"
    )]
    Verify,
    /// Write a deterministic benchmark workload (debtors.csv, mandates.csv, entries.csv). Needs no database.
    #[command(
        after_help = "Due dates are placed relative to --now so that most lines pass validation; \
        use the same --now for the run.\n\nExample:\n  payrun --now 2026-05-04T09:00 generate --debtors 200000 --entries 1000000 --out work --seed 1"
    )]
    Generate {
        /// How many debtors.
        #[arg(long)]
        debtors: usize,
        /// How many open entries.
        #[arg(long)]
        entries: usize,
        /// The directory to write the CSV files to (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// The seed: the same seed and --now give the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The Danish banking calendar: banking days, closing days, deadlines. Needs no database.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The whole product in one command, on built-in sample data, told step by step.
    #[command(
        after_help = "Creates a database in DIR (default: payrun-demo in the current directory; a \
        directory with anything but an earlier demo in it is refused) and runs a month's payment \
        run: import, suggest, validate, collect, export, the bank's answers (with rejections, \
        cancellations, charge-backs and differences), import, the journal, posting and verify. \
        The clock is fixed (the run on 2026-05-04 09:00, the answers read on 2026-07-02) so the story is the same any day. \
        Afterwards the database is yours to explore: payrun --db payrun-demo/payrun.db journal list\n\n\
        Example:\n  cargo run --release -- demo"
    )]
    Demo {
        /// Where the demo's database and files go.
        #[arg(long, value_name = "DIR", default_value = "payrun-demo")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// List the journal draft: every line not posted yet; (!) lines need a person.
    #[command(
        after_help = "Examples:\n  payrun journal list\n  payrun --json journal list --journal Day"
    )]
    List {
        /// Only this journal's lines.
        #[arg(long)]
        journal: Option<String>,
    },
    /// Set a draft line's debtor account; this approves a (!) line for posting.
    #[command(
        after_help = "The line is then approved as it is. A payment is posted whole: it settles \
        what its invoices have open and leaves any rest on the debtor's account, on no entry (a \
        debtor who paid more than was open, or paid an invoice twice; all of it when it names no \
        invoice), and `journal post` says \
        so. A line nobody approved that moves more than its invoices can take refuses the \
        posting, as does a charge-back of more than was paid, approved or not. When no line \
        of the bank file the line came from needs attention any more, the file's archive status \
        goes from error to ok: the command says so, and archive show logs it.\n\n\
        Example:\n  payrun journal set-account 7 100100"
    )]
    SetAccount {
        /// The journal line id (journal list shows it).
        journal_line: i64,
        /// The debtor account.
        account: String,
    },
    /// Set a draft line's offset account: the bank account of a format that has none.
    ///
    /// The offset account is the general-ledger account the line balances against. Setting it
    /// does not approve a (!) line.
    #[command(
        after_help = "A line without an offset account is never posted. A line whose text starts \
        (!) still needs `payrun journal set-account` to be approved. When no line of the bank \
        file the line came from needs attention any more, the file's archive status goes from \
        error to ok, and the command says so.\n\nExample:\n  payrun journal set-offset-account 7 5850"
    )]
    SetOffsetAccount {
        /// The journal line id (journal list shows it).
        journal_line: i64,
        /// The general-ledger account, e.g. the bank account.
        account: String,
    },
    /// Post every line that needs no attention: settle its invoices, write the ledger, empty the draft.
    #[command(
        after_help = "Lines marked (!) stay in the draft until a person sets their account, and \
        lines without an offset account until a person sets that. An empty \
        draft, an unknown invoice or an invoice settled meanwhile: refused (exit 2), nothing \
        posted.\n\nExample:\n  payrun journal post --journal Day"
    )]
    Post {
        /// Only this journal's lines.
        #[arg(long)]
        journal: Option<String>,
    },
    /// Transfer payment lines to the journal draft by hand ("transfer to draft").
    #[command(
        after_help = "Each line credits its debtor with the amount it charges (BS <invoice>); the \
        selected lines of one collective payment become one draft line (BS <group id>). The \
        journal and the bank account default to the payment format's.\n\nExample:\n  \
        payrun journal transfer 17 18 --journal Day --bank-account 5850"
    )]
    Transfer {
        /// The payment line ids.
        #[arg(required = true)]
        lines: Vec<i64>,
        /// The journal (default: the payment format's).
        #[arg(long)]
        journal: Option<String>,
        /// The offset account (default: the payment format's bank account).
        #[arg(long)]
        bank_account: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FormatCommand {
    /// Add a payment format to the company.
    #[command(
        after_help = "Example:\n  payrun format add --id BS --scheme bs --creditor 09990001 --supplier-cvr 99887766 --bs-type basis --bank-account 5850 --journal Day"
    )]
    Add(FormatAddArgs),
    /// List the company's payment formats.
    #[command(after_help = "Example:\n  payrun --json format list")]
    List,
}

#[derive(Debug, Args)]
pub struct FormatAddArgs {
    /// The format's id, e.g. BS or LS.
    #[arg(long)]
    pub id: String,
    /// bs: Betalingsservice (direct debit of persons and companies); ls: Leverandørservice
    /// (companies).
    #[arg(long, value_enum)]
    pub scheme: SchemeArg,
    /// BS: the 8-digit PBS number; LS: the 5-digit creditor number.
    #[arg(long)]
    pub creditor: String,
    /// The data supplier's CVR number (8 digits).
    #[arg(long)]
    pub supplier_cvr: String,
    /// BS solution: basis (mandates only) or total (payment slips for the rest).
    #[arg(long, value_enum)]
    pub bs_type: Option<BsTypeArg>,
    /// The debtor group (5 digits).
    #[arg(long, default_value = "00001")]
    pub debtor_group: String,
    /// The system code agreed with Mastercard.
    #[arg(long, default_value = "BS1")]
    pub system_code: String,
    /// Charge the entry's amount (standard) or its remaining amount.
    #[arg(long, value_enum, default_value_t = PrincipleArg::Standard)]
    pub principle: PrincipleArg,
    /// The ledger account the money arrives on.
    #[arg(long)]
    pub bank_account: Option<String>,
    /// The journal bank answers are posted to.
    #[arg(long, default_value = "Day")]
    pub journal: String,
    /// Where a payment date that is not a banking day moves.
    #[arg(long, value_enum, default_value_t = BankingDayArg::After)]
    pub banking_day: BankingDayArg,
    /// The delivery cut-off, HH:MM (default BS 17:30, LS 15:00; never later than Mastercard's 18:30/16:00).
    #[arg(long, value_parser = parse_time)]
    pub cutoff: Option<chrono::NaiveTime>,
    /// BS: the paid extension (deadline on the 3rd-last banking day).
    #[arg(long)]
    pub extended_deadline: bool,
    /// BS: allow entries without an invoice number.
    #[arg(long)]
    pub allow_without_invoice: bool,
    /// Refuse payouts (negative amounts).
    #[arg(long)]
    pub block_payouts: bool,
    /// Give each entry a FIK71 payment id.
    #[arg(long)]
    pub create_payment_id: bool,
    /// Use the debtor's account number as mandate id.
    #[arg(long)]
    pub debtor_account_as_mandate: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Debtors CSV: columns account, name; optional cvr (8-digit CVR, or CPR as 10 digits or DDMMYY-SSSS), address, postcode, city, country, email, payment_format.
    #[command(after_help = "Example:\n  payrun import debtors debtors.csv")]
    Debtors { file: PathBuf },
    /// Mandates CSV: columns mandate_id, debtor, payment_format, status; optional agreement, start_date, end_date, alt_mandate_id.
    #[command(after_help = "Example:\n  payrun import mandates mandates.csv")]
    Mandates { file: PathBuf },
    /// Entries CSV: columns entry_id, debtor, due_date, amount; optional date, invoice, remaining, currency, text, has_invoice_lines, payment_id.
    #[command(after_help = "Example:\n  payrun import entries entries.csv")]
    Entries { file: PathBuf },
    /// Files from Mastercard: BS 0602/0603, LS 0690/0602, LS type 30. One transaction per file.
    #[command(
        after_help = "The type is read from the file. A file that does not parse is refused whole \
        (file:line:column: field: found …, expected …) and nothing is applied. The same delivery \
        again is 'already-imported'; the same delivery key with other content is refused. Exit 1 \
        when a record needs a person.\n\nExample:\n  payrun import delivery inbox/DBS0602_260601_0000000001"
    )]
    Delivery {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// List the archived files, newest first.
    #[command(
        after_help = "Examples:\n  payrun archive list --year 2026 --month 06\n  payrun --json archive list"
    )]
    List {
        /// Only files created in this year (YYYY).
        #[arg(long, value_parser = parse_year)]
        year: Option<i32>,
        /// Only files created in this month (MM), of --year or of any year.
        #[arg(long, value_parser = parse_month_number)]
        month: Option<u32>,
    },
    /// Show an archived file: its details, status log and content.
    #[command(after_help = "Example:\n  payrun archive show 4")]
    Show {
        /// The file id.
        id: i64,
    },
    /// Mark an archived file reconciled.
    #[command(after_help = "Example:\n  payrun archive reconcile 4")]
    Reconcile {
        /// The file id.
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only lines with this status (repeatable).
    #[arg(long = "status", value_parser = parse_status)]
    pub statuses: Vec<engine::model::Status>,
    /// Only this debtor's lines.
    #[arg(long)]
    pub debtor: Option<String>,
    /// Only lines of the debtor with this mandate id (customer number).
    #[arg(long)]
    pub mandate: Option<String>,
    /// Only lines of debtors with a mandate under this agreement number.
    #[arg(long)]
    pub agreement: Option<String>,
    /// Only lines whose entry has this payment id (FIK/OCR).
    #[arg(long)]
    pub payment_id: Option<String>,
    /// Only the lines sent under this payment reference (a collective payment's lines share one).
    #[arg(long)]
    pub reference: Option<String>,
    /// Only lines of this collective payment (`-` and `Deselected` too).
    #[arg(long)]
    pub group: Option<String>,
    /// Payment dates in the last month, three months or year up to today.
    #[arg(long, value_enum, conflicts_with_all = ["from", "to"])]
    pub period: Option<PeriodArg>,
    /// Payment dates on or after this date.
    #[arg(long, value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Payment dates on or before this date.
    #[arg(long, value_parser = parse_date)]
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// Set the status of lines: blank, resend (transmitting), waiting or stop.
    #[command(
        after_help = "Refused changes exit 2 and change nothing. Stop (Leverandørservice, a sent \
        line) cancels the charge the line was sent in, and Mastercard cancels a charge whole: \
        the lines of a collective charge are stopped together, in one request.\n\n\
        Examples:\n  payrun status set --to waiting 17 18\n  payrun status set --to blank --force 21   # BS sent line: the debtor may be charged twice\n  payrun status set --to stop 30 31   # both lines of one LS collective charge"
    )]
    Set {
        /// The new status: blank, resend (transmitting), waiting or stop.
        #[arg(long, value_enum)]
        to: StatusTargetArg,
        /// Allow setting a sent BS line back to blank.
        #[arg(long)]
        force: bool,
        /// The line ids.
        #[arg(required = true)]
        lines: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartialCommand {
    /// Charge AMOUNT instead of the entry's amount, on a line not sent yet (blank or waiting).
    #[command(
        after_help = "The amount has the entry's sign (negative for a payout), at most two \
        decimals, and is no more than the entry's remaining amount. Refused: exit 2, nothing \
        changed. Run `payrun validate` afterwards to see the line's result.\n\nExamples:\n  \
        payrun partial set 17 500.00\n  payrun partial set 18 -120.50   # part of a credit note"
    )]
    Set {
        /// The line id.
        line: i64,
        /// The amount to charge, e.g. 500.00.
        #[arg(allow_hyphen_values = true)]
        amount: String,
    },
    /// Charge the entry's own amount again.
    #[command(after_help = "Example:\n  payrun partial clear 17")]
    Clear {
        /// The line id.
        line: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentDateCommand {
    /// Set the payment date of a line not sent yet (blank or waiting), e.g. a rejected line set
    /// back to blank, whose date has passed.
    #[command(
        after_help = "The line leaves its collective payment (run `payrun collect` to group it \
        again). Whether the date is a banking day, meets its deadline and lies within 90 days \
        is validation's to say: run `payrun validate` afterwards. Refused: exit 2, nothing \
        changed.\n\nExample:\n  payrun payment-date set 17 2026-08-03"
    )]
    Set {
        /// The line id.
        line: i64,
        /// The new payment date, YYYY-MM-DD.
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
    },
}

#[derive(Debug, Subcommand)]
pub enum MandatesCommand {
    /// List mandates with their status and dates.
    #[command(after_help = "Example:\n  payrun mandates list --debtor 100100")]
    List {
        /// Only this debtor's mandates.
        #[arg(long)]
        debtor: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BsTypeArg {
    Basis,
    Total,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrincipleArg {
    Standard,
    Remaining,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BankingDayArg {
    After,
    Before,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusTargetArg {
    Blank,
    Resend,
    Waiting,
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    #[value(name = "1m")]
    OneMonth,
    #[value(name = "3m")]
    ThreeMonths,
    #[value(name = "1y")]
    OneYear,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// The banking days of a month and its last, 3rd-last and 6th-last banking day.
    #[command(after_help = "Example:\n  payrun --json calendar month 2026-05")]
    Month {
        /// The month, YYYY-MM.
        #[arg(value_parser = parse_month)]
        month: YearMonth,
    },
    /// Every closing day of a year, weekends included, with its name.
    #[command(after_help = "Example:\n  payrun calendar holidays 2027")]
    Holidays {
        /// The year, YYYY.
        #[arg(value_parser = parse_year)]
        year: i32,
    },
    /// The delivery deadline for a payment date.
    #[command(
        after_help = "Examples:\n  payrun calendar deadline --scheme bs --payment-date 2026-06-01\n  \
        payrun calendar deadline --scheme ls --payment-date 2026-06-01 --payout"
    )]
    Deadline {
        /// bs: the 6th-last banking day of the month before; ls: 1 banking day before (payouts 2).
        #[arg(long, value_enum)]
        scheme: SchemeArg,
        /// The payment date, YYYY-MM-DD.
        #[arg(long, value_parser = parse_date)]
        payment_date: NaiveDate,
        /// LS: a payout (2 banking days before instead of 1).
        #[arg(long)]
        payout: bool,
        /// BS: the paid extension (the 3rd-last banking day instead of the 6th-last).
        #[arg(long)]
        extended: bool,
        /// The cut-off time on the deadline day, HH:MM (default BS 17:30, LS 15:00).
        #[arg(long, value_parser = parse_time)]
        cutoff: Option<chrono::NaiveTime>,
    },
    /// Whether a date is a Danish banking day, and which closing day it is if any.
    #[command(after_help = "Example:\n  payrun calendar is-banking-day 2026-05-15")]
    IsBankingDay {
        /// The date, YYYY-MM-DD.
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemeArg {
    Bs,
    Ls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

fn parse_now(text: &str) -> Result<NaiveDateTime, String> {
    engine::clock::parse_danish_local(text).map_err(|e| e.to_string())
}

pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !well_formed {
        return Err(format!("'{text}' is not a date: expected YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date: there is no such day"))
}

fn parse_time(text: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| format!("'{text}' is not a time: expected HH:MM"))
}

fn parse_status(text: &str) -> Result<engine::model::Status, String> {
    engine::model::Status::parse(text).ok_or_else(|| {
        let ids: Vec<&str> = engine::model::Status::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        format!(
            "'{text}' is not a status: expected one of {}",
            ids.join(", ")
        )
    })
}

fn parse_month(text: &str) -> Result<YearMonth, String> {
    let invalid =
        || format!("'{text}' is not a month: expected YYYY-MM with a month from 01 to 12");
    let (year, month) = text.split_once('-').ok_or_else(invalid)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(invalid());
    }
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: u32 = month.parse().map_err(|_| invalid())?;
    if !(1..=12).contains(&month) {
        return Err(invalid());
    }
    Ok(YearMonth { year, month })
}

fn parse_month_number(text: &str) -> Result<u32, String> {
    let invalid = || format!("'{text}' is not a month: expected MM from 01 to 12");
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let month: u32 = text.parse().map_err(|_| invalid())?;
    if (1..=12).contains(&month) {
        Ok(month)
    } else {
        Err(invalid())
    }
}

fn parse_rate(text: &str) -> Result<u32, String> {
    engine::delivery::parse_rate(text).map_err(|e| e.to_string())
}

fn parse_year(text: &str) -> Result<i32, String> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a year: expected YYYY"));
    }
    text.parse()
        .map_err(|_| format!("'{text}' is not a year: expected YYYY"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn month_and_date_parsers_name_the_value() {
        assert_eq!(
            parse_month("2026-05"),
            Ok(YearMonth {
                year: 2026,
                month: 5
            })
        );
        assert!(parse_month("2026-13").unwrap_err().contains("'2026-13'"));
        assert!(parse_month("2026-5").is_err());
        assert!(parse_date("2026-02-30")
            .unwrap_err()
            .contains("no such day"));
        assert!(parse_date("2026-2-3")
            .unwrap_err()
            .contains("expected YYYY-MM-DD"));
        assert!(parse_date("+2026-02-3").is_err());
        assert!(parse_year("26").is_err());
    }
}
