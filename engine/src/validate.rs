//! Validation of payment lines ("Controllers", `domain.md` §4).
//!
//! [`validate`] runs every rule on every line that can still be exported and reports **all**
//! failing rules of each line, in the order of [`PRECEDENCE`], each with a stable code and a
//! message that names the values involved. A line is `ok` only when nothing fails; export
//! re-runs validation and sends only `ok` lines, so these rules are the last guard before money
//! moves.
//!
//! Which lines are validated ([`can_still_be_exported`]): status blank, transmitting, waiting
//! (always reported as `status-not-exportable`, so a person sees what else is wrong before
//! releasing it) and stop, unless an LS stop line's cancellation has already gone out. Sent and
//! later lines are history and are not validated again.
//!
//! Codes beyond the §4 table, decided here:
//! - `format-unknown`, `entry-unknown`, `debtor-unknown`: the line names something that does not
//!   exist. Such a line gets only these failures, because the other rules need the missing data.
//! - `entry-on-other-line`: another live line charges the same entry. Invariant I8 says an entry
//!   is never in two live lines, and `status set` refuses the change that would cause it (a
//!   rejected line set back to blank after `suggest` proposed a new one); the rule still guards
//!   an export against data changed under a line, which would charge the debtor twice.
//! - `deselected`: `collect` set the line aside (group `Deselected`); it is not exported until
//!   `collect` runs again (or `collect --off`). `collect` itself ignores this code.
//!
//! Liveness (for `duplicate-debtor-date` and `entry-on-other-line`): a line is live when it is
//! not yet sent and exportable (blank or transmitting, and not deselected), or sent and not
//! rejected, unsubscribed, reversed or stopped (sent, to-be-treated, received, difference,
//! error, information). Two unsent lines are merged when they carry the same collective payment
//! id `<debtor>-<yyyymmdd>` that matches their debtor and payment date; a line that was sent is
//! never merged with one that was not, because they cannot travel in one record.
//!
//! Within a merged group the group is what is charged, so `payout-blocked` and the LS deadline
//! (D-1 for a collection, D-2 for a payout) look at the group's net amount.
//!
//! Calendar errors (a date outside 1900–2199) fail the rule that needed the calendar, with the
//! calendar's message; nothing panics. The cost is linear in the number of lines: the clash
//! checks are hash-map lookups.

use crate::charge::{amount_to_charge, has_invoice_number, partial_payment_problem};
use crate::collect::is_group_id;
use crate::model::{same_key, sorted_by_key, FastMap};
use crate::model::{
    BsType, PaymentFormat, PaymentLine, RunData, Scheme, Status, ValidationError, GROUP_DESELECTED,
};
use bankcal::Calendar;
use chrono::{Days, NaiveDate, NaiveDateTime};
use ledger::Amount;
use std::fmt::Write as _;
use std::sync::Arc;

/// The stable codes of the validation rules.
pub mod code {
    pub const FORMAT_UNKNOWN: &str = "format-unknown";
    pub const ENTRY_UNKNOWN: &str = "entry-unknown";
    pub const DEBTOR_UNKNOWN: &str = "debtor-unknown";
    pub const STATUS_NOT_EXPORTABLE: &str = "status-not-exportable";
    pub const CURRENCY_NOT_DKK: &str = "currency-not-dkk";
    pub const AMOUNT_ZERO: &str = "amount-zero";
    pub const PARTIAL_PAYMENT_INVALID: &str = "partial-payment-invalid";
    pub const PAYOUT_BLOCKED: &str = "payout-blocked";
    pub const INVOICE_MISSING: &str = "invoice-missing";
    pub const INVOICE_LINES_MISSING: &str = "invoice-lines-missing";
    pub const CVR_MISSING: &str = "cvr-missing";
    pub const MANDATE_NOT_ACTIVE: &str = "mandate-not-active";
    pub const NOT_BANKING_DAY: &str = "not-banking-day";
    pub const PAYMENT_DATE_PAST: &str = "payment-date-past";
    pub const BEYOND_HORIZON: &str = "beyond-horizon";
    pub const DEADLINE_PASSED: &str = "deadline-passed";
    pub const DUPLICATE_DEBTOR_DATE: &str = "duplicate-debtor-date";
    pub const ENTRY_ON_OTHER_LINE: &str = "entry-on-other-line";
    pub const DESELECTED: &str = "deselected";
}

/// Every code, in the order failures are reported.
pub const PRECEDENCE: [&str; 19] = [
    code::FORMAT_UNKNOWN,
    code::ENTRY_UNKNOWN,
    code::DEBTOR_UNKNOWN,
    code::STATUS_NOT_EXPORTABLE,
    code::CURRENCY_NOT_DKK,
    code::AMOUNT_ZERO,
    code::PARTIAL_PAYMENT_INVALID,
    code::PAYOUT_BLOCKED,
    code::INVOICE_MISSING,
    code::INVOICE_LINES_MISSING,
    code::CVR_MISSING,
    code::MANDATE_NOT_ACTIVE,
    code::NOT_BANKING_DAY,
    code::PAYMENT_DATE_PAST,
    code::BEYOND_HORIZON,
    code::DEADLINE_PASSED,
    code::DUPLICATE_DEBTOR_DATE,
    code::ENTRY_ON_OTHER_LINE,
    code::DESELECTED,
];

/// How far ahead a payment date may lie, in calendar days.
pub const HORIZON_DAYS: u64 = 90;

/// The validation result of one line; no errors = ok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineValidation {
    pub line: i64,
    pub errors: Vec<ValidationError>,
}

impl LineValidation {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The failing codes, in precedence order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.errors.iter().map(|e| e.code).collect()
    }
}

/// The codes of the rules one line fails, as a set: a bit per code of [`PRECEDENCE`], so
/// they come out in precedence order, the order validation reports them in. Four bytes where
/// a vector of failures without messages took about 56 (at a million lines, 4 MB for 45).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Codes(u32);

impl Codes {
    /// The codes of `errors`. Validation gives only codes of [`PRECEDENCE`]; any other is
    /// left out.
    pub fn of(errors: &[ValidationError]) -> Codes {
        let mut bits = 0u32;
        for error in errors {
            match PRECEDENCE.iter().position(|code| *code == error.code) {
                Some(bit) => bits |= 1 << bit,
                None => debug_assert!(false, "{} is not a validation code", error.code),
            }
        }
        Codes(bits)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many codes.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn contains(self, code: &str) -> bool {
        PRECEDENCE
            .iter()
            .position(|known| *known == code)
            .is_some_and(|bit| self.0 & (1 << bit) != 0)
    }

    /// The codes, in precedence order.
    pub fn iter(self) -> impl Iterator<Item = &'static str> {
        PRECEDENCE
            .iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, code)| *code)
    }
}

/// True for the lines validation looks at: blank, transmitting, waiting, and stop unless its
/// cancellation was already sent.
pub fn can_still_be_exported(line: &PaymentLine) -> bool {
    match line.status {
        Status::Blank | Status::Transmitting | Status::Waiting => true,
        Status::Stop => !line.cancellation_sent,
        _ => false,
    }
}

/// Whether a line counts for the one-charge-per-debtor-per-date rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Not yet sent and exportable: blank or transmitting, and not deselected by `collect`.
    Unsent,
    /// Sent and not rejected, unsubscribed, reversed or stopped.
    Sent,
    NotLive,
}

pub(crate) fn liveness(line: &PaymentLine) -> Liveness {
    match line.status {
        Status::Blank | Status::Transmitting => {
            if line.group.as_deref() == Some(GROUP_DESELECTED) {
                Liveness::NotLive
            } else {
                Liveness::Unsent
            }
        }
        Status::Sent
        | Status::ToBeTreated
        | Status::Received
        | Status::Difference
        | Status::Error
        | Status::Information => Liveness::Sent,
        Status::Unsubscribed
        | Status::Rejected
        | Status::Reversed
        | Status::Waiting
        | Status::Stop => Liveness::NotLive,
    }
}

/// The line's collective payment id when it is a real merge id for its own debtor and date
/// (not `-`, `Deselected`, or an id left over from before the date was changed).
pub(crate) fn merged_group(line: &PaymentLine) -> Option<&str> {
    let group = line.group.as_deref()?;
    is_group_id(group, &line.debtor, line.payment_date).then_some(group)
}

/// The lines of one (format, debtor, payment date), for the duplicate rule.
#[derive(Default)]
struct Bucket {
    unsent: u32,
    sent: u32,
    /// Up to four unsent live lines with distinct merge keys (their group, or themselves), so
    /// that a message can name up to three clashing lines without scanning the bucket.
    unsent_examples: Examples<4>,
    /// Up to three sent live lines.
    sent_examples: Examples<3>,
}

/// Up to `N` lines, by position in `data.lines`, in line order.
struct Examples<const N: usize> {
    positions: [u32; N],
    len: u8,
}

impl<const N: usize> Default for Examples<N> {
    fn default() -> Self {
        Examples {
            positions: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Examples<N> {
    fn is_full(&self) -> bool {
        usize::from(self.len) == N
    }

    fn push(&mut self, position: u32) {
        if !self.is_full() {
            self.positions[usize::from(self.len)] = position;
            self.len += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.positions[..usize::from(self.len)]
            .iter()
            .map(|&p| p as usize)
    }
}

/// The lines grouped by (format, debtor, payment date), with the live ones counted.
///
/// Built by sorting the lines by a hash of that key and line order (and by the key itself
/// should two keys share a hash) and cutting the sorted list where the key changes. A map from each key to a bucket with vectors of examples held 155 MB at a
/// million lines, most of them in half a million small vectors; this holds a bucket number
/// per line and a bucket of 36 bytes per key.
struct Buckets {
    /// The bucket of each line, by position in `data.lines`.
    of_line: Vec<u32>,
    all: Vec<Bucket>,
}

impl Buckets {
    fn build(data: &RunData) -> Buckets {
        let key = |p: u32| {
            let line = &data.lines[p as usize];
            (
                line.format_id.as_str(),
                line.debtor.as_str(),
                line.payment_date,
            )
        };
        // Every line gets its bucket, a line that is not live too: it is validated against
        // the live lines of its key, but is not counted.
        let count = u32::try_from(data.lines.len()).expect("fewer than 2^32 lines");
        let sorted = sorted_by_key(0..count, key);
        let mut buckets = Buckets {
            of_line: vec![0; data.lines.len()],
            all: Vec::new(),
        };
        let mut previous: Option<(u64, u32)> = None;
        for (hash, position) in sorted {
            if !previous.is_some_and(|before| same_key(before, (hash, position), key)) {
                buckets.all.push(Bucket::default());
            }
            previous = Some((hash, position));
            let number = u32::try_from(buckets.all.len() - 1).expect("fewer than 2^32 buckets");
            buckets.of_line[position as usize] = number;
            let bucket = buckets.all.last_mut().expect("pushed above");
            let line = &data.lines[position as usize];
            match liveness(line) {
                Liveness::NotLive => continue,
                Liveness::Sent => {
                    bucket.sent += 1;
                    bucket.sent_examples.push(position);
                    continue;
                }
                Liveness::Unsent => bucket.unsent += 1,
            }
            let group = merged_group(line);
            let new_key = group.is_none()
                || bucket
                    .unsent_examples
                    .iter()
                    .all(|p| merged_group(&data.lines[p]) != group);
            if new_key {
                bucket.unsent_examples.push(position);
            }
        }
        buckets.all.shrink_to_fit();
        buckets
    }

    /// The bucket of the line at `position`.
    fn of(&self, position: usize) -> Option<&Bucket> {
        let number = *self.of_line.get(position)?;
        self.all.get(number as usize)
    }
}

/// Live lines per entry, for `entry-on-other-line`: a count per entry (by its position in
/// `data.entries`), and the first three lines only of the entries that have more than one.
/// A map from every entry to its lines held a million slots and a million small vectors
/// (130 MB) to find the few entries on two lines.
struct EntryLines {
    live: Vec<u32>,
    examples: FastMap<usize, Vec<(i64, Status)>>,
}

/// Everything validation needs about the other lines, gathered in one pass.
struct Index<'a> {
    buckets: Buckets,
    /// Unsent live lines per (format, merge id), with their net amount (`None` on overflow or
    /// when a member's amount cannot be computed).
    groups: FastMap<(&'a str, &'a str), (usize, Option<Amount>)>,
    entries: EntryLines,
}

/// An [`Index`] (read only, so threads can share it) with the deadlines found so far (one
/// set per thread).
struct Lookup<'a> {
    index: Arc<Index<'a>>,
    /// The deadlines found so far, by (format, payment date, payout): a run has a few dozen
    /// payment dates, and each deadline walks the calendar (2.5 % of collect, per line).
    deadlines: std::cell::RefCell<FastMap<(&'a str, NaiveDate, bool), NaiveDateTime>>,
}

impl<'a> std::ops::Deref for Lookup<'a> {
    type Target = Index<'a>;

    fn deref(&self) -> &Index<'a> {
        &self.index
    }
}

impl<'a> Lookup<'a> {
    fn new(index: Arc<Index<'a>>) -> Lookup<'a> {
        Lookup {
            index,
            deadlines: Default::default(),
        }
    }

    /// [`deadline`], remembered.
    fn deadline(
        &self,
        cal: &Calendar,
        format: &'a PaymentFormat,
        payment_date: NaiveDate,
        payout: bool,
    ) -> Result<NaiveDateTime, bankcal::CalendarError> {
        let key = (format.id.as_str(), payment_date, payout);
        if let Some(found) = self.deadlines.borrow().get(&key) {
            return Ok(*found);
        }
        let computed = deadline(cal, format, payment_date, payout)?;
        self.deadlines.borrow_mut().insert(key, computed);
        Ok(computed)
    }
}

impl<'a> Index<'a> {
    fn build(data: &'a RunData) -> Index<'a> {
        let mut index = Index {
            buckets: Buckets::build(data),
            groups: FastMap::default(),
            entries: EntryLines {
                live: vec![0; data.entries.len()],
                examples: FastMap::default(),
            },
        };
        for line in &data.lines {
            let live = liveness(line);
            if live == Liveness::NotLive {
                continue;
            }
            if let Some(position) = data.entries.position_of(&line.entry_id) {
                index.entries.live[position] += 1;
            }
            if live == Liveness::Sent {
                continue;
            }
            if let Some(group) = merged_group(line) {
                let amount = line_amount(data, line);
                let member = index
                    .groups
                    .entry((&line.format_id, group))
                    .or_insert((0, Some(Amount::ZERO)));
                member.0 += 1;
                member.1 = member.1.zip(amount).and_then(|(sum, a)| sum.checked_add(a));
            }
        }
        // The examples of the entries on more than one line, in line order.
        for line in &data.lines {
            if liveness(line) == Liveness::NotLive {
                continue;
            }
            let Some(position) = data.entries.position_of(&line.entry_id) else {
                continue;
            };
            if index.entries.live[position] > 1 {
                let examples = index.entries.examples.entry(position).or_default();
                if examples.len() < 3 {
                    examples.push((line.id, line.status));
                }
            }
        }
        index
    }
}

/// The amount to charge of a line, when its entry and format exist.
fn line_amount(data: &RunData, line: &PaymentLine) -> Option<Amount> {
    let entry = data.entries.get(&line.entry_id)?;
    let format = data.formats.get(&line.format_id)?;
    Some(amount_to_charge(line, entry, format))
}

/// Validates every line that can still be exported, in the order of `data.lines`.
///
/// `now` is Danish local time (the caller converts); today is `now.date()`.
pub fn validate(data: &RunData, cal: &Calendar, now: NaiveDateTime) -> Vec<LineValidation> {
    each_line(data, cal, now, Messages::Kept)
        .map(|(position, errors)| LineValidation {
            line: data.lines[position].id,
            errors,
        })
        .collect()
}

/// [`validate`] as sets of codes, with no message written: each line that can still be
/// exported, by id, in the order of `data.lines`, with the codes of the rules it fails. For a
/// caller that only decides by the codes (collect's grouping).
pub fn validate_code_sets(data: &RunData, cal: &Calendar, now: NaiveDateTime) -> Vec<(i64, Codes)> {
    // Sized once (a vector grown by doubling kept room for 1,048,576 at a million lines).
    let mut sets = Vec::with_capacity(
        data.lines
            .iter()
            .filter(|l| can_still_be_exported(l))
            .count(),
    );
    sets.extend(
        each_line(data, cal, now, Messages::Skipped)
            .map(|(position, errors)| (data.lines[position].id, Codes::of(&errors))),
    );
    sets
}

/// [`validate`] one line at a time, as the iterator is advanced: the position in
/// `data.lines` of each line that can still be exported, in order, with its failures and
/// their messages. A caller that stores each result and keeps only the codes never holds a
/// million messages at once (160 MB at a million lines, most of them clashes on a date).
/// The failures keep the spare room their vector and messages grew (see
/// `Messages::Streamed`): drop them soon, or shrink them before keeping many.
pub fn validations<'a>(
    data: &'a RunData,
    cal: &'a Calendar,
    now: NaiveDateTime,
) -> impl Iterator<Item = (usize, Vec<ValidationError>)> + 'a {
    each_line(data, cal, now, Messages::Streamed)
}

/// Lines per chunk of [`validations_by_chunk`]: its results are held a chunk at a time (a
/// few MB when most lines fail with messages).
const CHUNK: usize = 32_768;

/// [`validations`] on two threads, for a caller with nothing to do while the lines are
/// validated (export, whose stored results rarely change: at a million lines validating was
/// 11 % of export, on one core). The lines are validated a chunk at a time, the two halves of
/// each at once; `take` gets each chunk's results (the lines that can still be exported, in
/// the order of `data.lines`) before the next chunk is validated, and its error ends the
/// validation. The results are those of [`validations`].
pub fn validations_by_chunk<E>(
    data: &RunData,
    cal: &Calendar,
    now: NaiveDateTime,
    take: impl FnMut(Vec<(usize, Vec<ValidationError>)>) -> Result<(), E>,
) -> Result<(), E> {
    validations_in_chunks(data, cal, now, CHUNK, take)
}

/// [`validations_by_chunk`] with chunks of `chunk` lines (at least 1).
fn validations_in_chunks<'a, E>(
    data: &'a RunData,
    cal: &Calendar,
    now: NaiveDateTime,
    chunk: usize,
    mut take: impl FnMut(Vec<(usize, Vec<ValidationError>)>) -> Result<(), E>,
) -> Result<(), E> {
    let index = Arc::new(Index::build(data));
    let mut lookups = [Lookup::new(Arc::clone(&index)), Lookup::new(index)];
    let validate_range = |lookup: &Lookup<'a>, range: std::ops::Range<usize>| {
        range
            .filter(|&position| can_still_be_exported(&data.lines[position]))
            .map(|position| {
                let errors = validate_line(data, lookup, cal, now, position, Messages::Streamed);
                (position, errors)
            })
            .collect::<Vec<_>>()
    };
    let mut start = 0;
    while start < data.lines.len() {
        let end = data.lines.len().min(start + chunk.max(1));
        let middle = start + (end - start) / 2;
        let [here, there] = &mut lookups;
        let (mut results, second) = std::thread::scope(|scope| {
            let other = scope.spawn(move || validate_range(there, middle..end));
            let first = validate_range(here, start..middle);
            let second = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (first, second)
        });
        results.extend(second);
        take(results)?;
        start = end;
    }
    Ok(())
}

fn each_line<'a>(
    data: &'a RunData,
    cal: &'a Calendar,
    now: NaiveDateTime,
    messages: Messages,
) -> impl Iterator<Item = (usize, Vec<ValidationError>)> + 'a {
    let lookup = Lookup::new(Arc::new(Index::build(data)));
    data.lines
        .iter()
        .enumerate()
        .filter(|(_, line)| can_still_be_exported(line))
        .map(move |(position, _)| {
            let errors = validate_line(data, &lookup, cal, now, position, messages);
            (position, errors)
        })
}

/// The failures of single lines of a run with their messages, made again: validation is a
/// pure function of the run, the calendar and the clock, so a report can keep each line's
/// codes alone and have its messages written when the line is shown. Building one costs
/// what the index of one validation costs (linear in the lines); each line after that costs
/// its own rules.
pub(crate) struct Revalidation<'a> {
    data: &'a RunData,
    lookup: Lookup<'a>,
    cal: &'a Calendar,
    now: NaiveDateTime,
}

impl<'a> Revalidation<'a> {
    pub(crate) fn new(data: &'a RunData, cal: &'a Calendar, now: NaiveDateTime) -> Self {
        Revalidation {
            data,
            lookup: Lookup::new(Arc::new(Index::build(data))),
            cal,
            now,
        }
    }

    /// The failures of `data.lines[position]`, as [`validate`] gives them.
    pub(crate) fn errors(&self, position: usize) -> Vec<ValidationError> {
        validate_line(
            self.data,
            &self.lookup,
            self.cal,
            self.now,
            position,
            Messages::Kept,
        )
    }
}

/// Whether a validation writes its messages, and whether they are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Messages {
    /// Written, and kept by the caller: without the spare room of a growing string or vector.
    Kept,
    /// Written, and dropped by the caller soon after (stored as JSON): as they grew. Giving
    /// the room back is a `realloc` per message and per line, 2.5 % of validate at 100,000
    /// lines, for memory that is freed a moment later anyway.
    Streamed,
    /// Not written (only the codes are looked at, and the failures dropped at once).
    Skipped,
}

/// The failures of one line, as the rules find them.
struct Failures {
    errors: Vec<ValidationError>,
    messages: Messages,
}

impl Failures {
    /// Records a failure; `message` is called only when messages are written.
    fn fail(&mut self, code: &'static str, message: impl FnOnce() -> String) {
        let message = match self.messages {
            Messages::Kept => {
                // A formatted string keeps room to grow (often half again its length); the
                // line keeps its message until the step ends, so give the room back.
                let mut message = message();
                message.shrink_to_fit();
                message
            }
            Messages::Streamed => message(),
            Messages::Skipped => String::new(),
        };
        self.errors.push(ValidationError { code, message });
    }

    /// The failures; kept ones without the spare room of a growing vector (a million lines
    /// keep them).
    fn into_errors(mut self) -> Vec<ValidationError> {
        if self.messages == Messages::Kept {
            self.errors.shrink_to_fit();
        }
        self.errors
    }
}

/// Validates `data.lines[position]`.
fn validate_line<'a>(
    data: &'a RunData,
    index: &Lookup<'a>,
    cal: &Calendar,
    now: NaiveDateTime,
    position: usize,
    messages: Messages,
) -> Vec<ValidationError> {
    let line = &data.lines[position];
    let mut errors = Failures {
        errors: Vec::new(),
        messages,
    };
    let format = data.formats.get(&line.format_id);
    let entry = data.entries.get(&line.entry_id);
    let debtor = data.debtors.get(&line.debtor);
    if format.is_none() {
        errors.fail(code::FORMAT_UNKNOWN, || {
            format!("payment format '{}' does not exist", line.format_id)
        });
    }
    if entry.is_none() {
        errors.fail(code::ENTRY_UNKNOWN, || {
            format!(
                "entry '{}' does not exist or is no longer open",
                line.entry_id
            )
        });
    }
    if debtor.is_none() {
        errors.fail(code::DEBTOR_UNKNOWN, || {
            format!("debtor '{}' does not exist", line.debtor)
        });
    }
    let (Some(format), Some(entry), Some(debtor)) = (format, entry, debtor) else {
        return errors.into_errors();
    };

    let today = now.date();
    let date = line.payment_date;
    let scheme = format.scheme;
    let is_stop = line.status == Status::Stop;
    let charge = amount_to_charge(line, entry, format);
    // In a merged group the group's net amount is what is charged or paid out.
    let group_net = merged_group(line)
        .filter(|_| liveness(line) == Liveness::Unsent)
        .and_then(|group| index.groups.get(&(line.format_id.as_str(), group)))
        .filter(|(members, _)| *members > 1)
        .map(|(_, net)| *net);
    let charged = match group_net {
        Some(Some(net)) => net,
        // Overflow of the group sum: judge the line on its own; collect refuses such groups.
        Some(None) | None => charge,
    };

    // status-not-exportable
    match line.status {
        Status::Blank | Status::Transmitting => {}
        Status::Stop if scheme == Scheme::Ls => {}
        Status::Stop => errors.fail(code::STATUS_NOT_EXPORTABLE, || format!(
                "status is stop, but payment format {} is Betalingsservice: only Leverandørservice lines can be stopped",
                format.id
            ),
        ),
        Status::Waiting => errors.fail(code::STATUS_NOT_EXPORTABLE, || "status is waiting: waiting lines are never exported; set the line to blank to release it"
                .to_string(),
        ),
        other => errors.fail(code::STATUS_NOT_EXPORTABLE, || format!(
                "status is {}: only blank, transmitting or (Leverandørservice) stop lines can be exported",
                other.as_str()
            ),
        ),
    }

    // currency-not-dkk
    if entry.currency != "DKK" {
        errors.fail(code::CURRENCY_NOT_DKK, || {
            format!(
                "entry {} is in {}: Betalingsservice and Leverandørservice charge only DKK",
                entry.entry_id, entry.currency
            )
        });
    }

    // amount-zero (an LS stop line sends a 0-amount cancellation on purpose)
    if charge.is_zero() && !(is_stop && scheme == Scheme::Ls) {
        errors.fail(code::AMOUNT_ZERO, || {
            format!("the amount to charge for entry {} is 0.00", entry.entry_id)
        });
    }

    // partial-payment-invalid
    if let Some(problem) = partial_payment_problem(line, entry) {
        errors.fail(code::PARTIAL_PAYMENT_INVALID, || problem);
    }

    // payout-blocked (a stop line pays nothing out)
    if charged.is_negative() && format.block_payouts && !is_stop {
        let what = if group_net.is_some() {
            format!(
                "collective payment {} nets to {charged}, a payout",
                line.group.as_deref().unwrap_or_default()
            )
        } else {
            format!("the amount to charge {charged} is a payout")
        };
        errors.fail(code::PAYOUT_BLOCKED, || {
            format!("{what}, and payment format {} blocks payouts", format.id)
        });
    }

    // invoice-missing / invoice-lines-missing / cvr-missing
    match scheme {
        Scheme::Bs => {
            if !has_invoice_number(entry) && !format.allow_without_invoice {
                errors.fail(code::INVOICE_MISSING, || format!(
                        "entry {} has no invoice number, and payment format {} does not allow charging without one",
                        entry.entry_id, format.id
                    ),
                );
            }
        }
        Scheme::Ls => {
            if !entry.has_invoice_lines {
                errors.fail(code::INVOICE_LINES_MISSING, || format!(
                        "entry {} has no invoice lines: Leverandørservice charges only invoices with invoice lines",
                        entry.entry_id
                    ),
                );
            }
            if !debtor.tax_id.as_ref().is_some_and(|t| t.is_cvr()) {
                // Never print the CPR number itself (I12); saying there is one is enough.
                let has = if debtor.tax_id.is_some() {
                    "has a CPR number, not a CVR number"
                } else {
                    "has no CVR number"
                };
                errors.fail(code::CVR_MISSING, || {
                    format!(
                        "debtor {} {has}: Leverandørservice charges only companies",
                        debtor.account
                    )
                });
            }
        }
    }

    // mandate-not-active (BS Total charges debtors without a mandate through a payment slip)
    let needs_mandate = match scheme {
        Scheme::Ls => true,
        Scheme::Bs => format.bs_type != Some(BsType::Total),
    };
    if needs_mandate {
        let active = data.mandates.get(&line.debtor).is_some_and(|mandates| {
            mandates
                .iter()
                .any(|m| m.payment_format == format.id && m.is_active_on(date))
        });
        if !active {
            errors.fail(code::MANDATE_NOT_ACTIVE, || {
                format!(
                    "debtor {} has no mandate for payment format {} active on {date}",
                    line.debtor, format.id
                )
            });
        }
    }

    // not-banking-day
    match cal.is_banking_day(date) {
        Ok(true) => {}
        Ok(false) => errors.fail(code::NOT_BANKING_DAY, || {
            format!(
                "payment date {date} ({}) is not a banking day",
                date.format("%A")
            )
        }),
        Err(e) => errors.fail(code::NOT_BANKING_DAY, || {
            format!("cannot tell whether payment date {date} is a banking day: {e}")
        }),
    }

    // payment-date-past
    if date < today {
        errors.fail(code::PAYMENT_DATE_PAST, || {
            format!("payment date {date} is before today, {today}")
        });
    }

    // beyond-horizon
    if let Some(horizon) = today.checked_add_days(Days::new(HORIZON_DAYS)) {
        if date > horizon {
            errors.fail(code::BEYOND_HORIZON, || format!(
                    "payment date {date} is more than {HORIZON_DAYS} calendar days after today ({today}); the latest allowed is {horizon}"
                ),
            );
        }
    }

    // deadline-passed
    match index.deadline(cal, format, date, charged.is_negative()) {
        Ok(deadline) if now > deadline => errors.fail(code::DEADLINE_PASSED, || {
            format!(
                "the deadline for payment date {date} was {}",
                deadline.format("%Y-%m-%d %H:%M")
            )
        }),
        Ok(_) => {}
        Err(e) => errors.fail(code::DEADLINE_PASSED, || {
            format!("cannot compute the deadline for payment date {date}: {e}")
        }),
    }

    // duplicate-debtor-date
    if let Some(message) = duplicate_message(data, index, position, &format.id) {
        errors.fail(code::DUPLICATE_DEBTOR_DATE, message);
    }

    // entry-on-other-line
    if let Some(position) = data.entries.position_of(&line.entry_id) {
        let own = u32::from(liveness(line) != Liveness::NotLive);
        let others = index.entries.live[position].saturating_sub(own) as usize;
        if others > 0 {
            let named: Vec<String> = index
                .entries
                .examples
                .get(&position)
                .into_iter()
                .flatten()
                .filter(|(id, _)| *id != line.id)
                .map(|(id, status)| format!("line {id} ({})", status.as_str()))
                .collect();
            errors.fail(code::ENTRY_ON_OTHER_LINE, || format!(
                    "entry {} is also on {}{}: charging it on two lines may charge the debtor twice",
                    line.entry_id,
                    named.join(", "),
                    more(others, named.len())
                ),
            );
        }
    }

    // deselected
    if line.group.as_deref() == Some(GROUP_DESELECTED) {
        errors.fail(code::DESELECTED, || {
            "collect set this line aside (group Deselected): run collect again once it is fixed"
                .to_string()
        });
    }

    errors.into_errors()
}

/// The delivery deadline of §1 for a payment date in this format.
pub fn deadline(
    cal: &Calendar,
    format: &PaymentFormat,
    payment_date: NaiveDate,
    payout: bool,
) -> Result<NaiveDateTime, bankcal::CalendarError> {
    match format.scheme {
        Scheme::Bs => cal.bs_deadline(payment_date, format.extended_deadline, format.cutoff),
        Scheme::Ls => cal.ls_deadline(payment_date, payout, format.cutoff),
    }
}

/// `" and 2 more"` when not every counted line was named.
fn more(count: usize, named: usize) -> String {
    if count > named {
        format!(" and {} more", count - named)
    } else {
        String::new()
    }
}

/// The duplicate-debtor-date message for a line (written when called), or `None` when it does
/// not clash.
fn duplicate_message<'a>(
    data: &'a RunData,
    index: &'a Index<'_>,
    position: usize,
    format_id: &'a str,
) -> Option<impl FnOnce() -> String + 'a> {
    let line = &data.lines[position];
    let bucket = index.buckets.of(position)?;
    let own = liveness(line);
    let group = if own == Liveness::Unsent {
        merged_group(line)
    } else {
        None
    };
    // Unsent live lines that are this line or merged with it do not clash with it.
    let merged = match group {
        Some(group) => index
            .groups
            .get(&(format_id, group))
            .map_or(1, |(members, _)| *members),
        None => usize::from(own == Liveness::Unsent),
    };
    let unsent_clash = (bucket.unsent as usize).saturating_sub(merged);
    let sent_clash = bucket.sent as usize;
    // Allow overwriting lets a line replace sent charges, never another unsent one.
    let flagged = unsent_clash > 0 || (sent_clash > 0 && !line.allow_overwriting);
    if !flagged {
        return None;
    }
    // Written piece by piece rather than with `format!`: three in four lines of a large run
    // can clash on a date, and the formatting machinery (with a `String` per line named and
    // their join) cost about 3,200 instructions more a message (7 % of validate at 100,000
    // lines).
    Some(move || {
        let mut message = String::with_capacity(240);
        push_clash_head(&mut message, &line.debtor);
        let mut named = 0;
        let mut name = |message: &mut String, id: i64, sent: bool| {
            if named > 0 {
                message.push_str(", ");
            }
            named += 1;
            message.push_str("line ");
            // `write!` into the message: no `String` of its own.
            let _ = write!(message, "{id}");
            if sent {
                message.push_str(" (sent)");
            }
        };
        let unsent = bucket
            .unsent_examples
            .iter()
            .map(|p| &data.lines[p])
            .filter(|other| {
                let g = merged_group(other);
                other.id != line.id && (g.is_none() || g != group)
            })
            .take(3);
        for other in unsent {
            name(&mut message, other.id, false);
        }
        for p in bucket.sent_examples.iter() {
            name(&mut message, data.lines[p].id, true);
        }
        let count = unsent_clash + sent_clash;
        message.push_str(&more(count, named));
        push_clash_tail(&mut message, line.payment_date, format_id, unsent_clash > 0);
        message
    })
}

/// The duplicate-debtor-date message up to the lines it names: `debtor D already has `.
///
/// The message is written in three parts so that the store can keep only the middle one
/// (the lines named) and the date: the rest is the line's own debtor and format
/// (`store::codec`, where a clash is stored in a third of the bytes).
pub(crate) fn push_clash_head(message: &mut String, debtor: &str) {
    message.push_str("debtor ");
    message.push_str(debtor);
    message.push_str(" already has ");
}

/// The duplicate-debtor-date message after the lines it names: the date, the format, the
/// rule, and the advice: to collect when `unsent` lines clash, else to allow overwriting the
/// sent charge.
pub(crate) fn push_clash_tail(
    message: &mut String,
    date: NaiveDate,
    format_id: &str,
    unsent: bool,
) {
    message.push_str(" on ");
    message.push_str(&ledger::iso_date(date));
    message.push_str(" in payment format ");
    message.push_str(format_id);
    message.push_str(": only one charge per debtor per payment date; ");
    message.push_str(if unsent {
        "collect them into one collective payment or move one to another date"
    } else {
        "allow overwriting to replace the sent charge, or move this line to another date"
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clash message writes its date with the ledger's writer: the same text as `{}`.
    #[test]
    fn dates_are_written_as_display_writes_them() {
        for (y, m, d) in [
            (2026, 5, 4),
            (1, 1, 1),
            (0, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 1, 1),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(ledger::iso_date(date), date.to_string());
        }
    }
    use crate::model::TaxId;
    use crate::testdata::{amount, cal, date, time, Run};
    use ledger::Id;

    /// The usual "now": well before the 2026-06-01 deadlines.
    const NOW: &str = "2026-05-20 10:00";

    /// A BS Basis format with debtor 100100 enrolled.
    fn bs() -> Run {
        Run::new().bs_basis("BS").enrolled("100100")
    }

    /// An LS format with debtor 200200 (CVR) enrolled.
    fn ls() -> Run {
        Run::new().ls("LS").enrolled("200200")
    }

    fn results(data: &RunData, now: &str) -> Vec<LineValidation> {
        validate(data, cal(), time(now))
    }

    fn result_of(data: &RunData, now: &str, line: i64) -> LineValidation {
        results(data, now)
            .into_iter()
            .find(|v| v.line == line)
            .unwrap_or_else(|| panic!("line {line} was not validated"))
    }

    /// Every line's result as [`validations_in_chunks`] gives it in chunks of `chunk` lines,
    /// and how many chunks it took.
    fn in_chunks(data: &RunData, now: &str, chunk: usize) -> (Vec<LineValidation>, usize) {
        let mut chunked = Vec::new();
        let mut chunks = 0;
        validations_in_chunks(data, cal(), time(now), chunk, |results| {
            chunks += 1;
            chunked.extend(
                results
                    .into_iter()
                    .map(|(position, errors)| LineValidation {
                        line: data.lines[position].id,
                        errors,
                    }),
            );
            Ok::<(), ()>(())
        })
        .unwrap();
        (chunked, chunks)
    }

    /// The codes of line 1, checked to be what [`Codes`] and [`validate_code_sets`] give too;
    /// every line's result, what [`validations_in_chunks`] gives, in chunks of any size, and
    /// its codes what [`validate_code_sets`] gives.
    fn codes(run: Run, now: &str) -> Vec<&'static str> {
        let data = run.build();
        let all = results(&data, now);
        for chunk in [1, 2, 3, 1000] {
            let (chunked, chunks) = in_chunks(&data, now, chunk);
            assert_eq!(chunked, all, "chunks of {chunk}");
            assert_eq!(
                chunks,
                data.lines.len().div_ceil(chunk),
                "chunks of {chunk}"
            );
        }
        let result = result_of(&data, now, 1);
        let set = Codes::of(&result.errors);
        assert_eq!(set.iter().collect::<Vec<_>>(), result.codes());
        assert_eq!(set.len(), result.errors.len());
        assert!(result.codes().iter().all(|c| set.contains(c)));
        let sets = validate_code_sets(&data, cal(), time(now));
        let expected: Vec<(i64, Codes)> =
            all.iter().map(|v| (v.line, Codes::of(&v.errors))).collect();
        assert_eq!(sets, expected);
        assert_eq!(
            sets.iter().find(|(line, _)| *line == 1).map(|s| s.1),
            Some(set)
        );
        result.codes()
    }

    /// The message of `code` on line 1.
    fn message(run: Run, now: &str, code: &str) -> String {
        let result = result_of(&run.build(), now, 1);
        result
            .errors
            .iter()
            .find(|e| e.code == code)
            .unwrap_or_else(|| panic!("no {code} in {:?}", result.errors))
            .message
            .clone()
    }

    fn ok(run: Run, now: &str) {
        assert_eq!(codes(run, now), Vec::<&str>::new());
    }

    /// A BS line for 1000.00 on 2026-06-01 that passes every rule at NOW.
    fn good_bs() -> Run {
        bs().charge("E1", "100100", "2026-06-01", "1000.00")
    }

    fn good_ls() -> Run {
        ls().charge("E1", "200200", "2026-06-01", "1000.00")
    }

    #[test]
    fn good_lines_pass() {
        ok(good_bs(), NOW);
        ok(good_ls(), NOW);
    }

    #[test]
    fn unknown_references() {
        assert_eq!(
            codes(good_bs().line_with(|l| l.format_id = "XX".into()), NOW),
            [code::FORMAT_UNKNOWN]
        );
        assert_eq!(
            codes(
                bs().line("E9", "2026-06-01")
                    .line_with(|l| l.debtor = "100100".into()),
                NOW
            ),
            [code::ENTRY_UNKNOWN]
        );
        assert_eq!(
            codes(good_bs().line_with(|l| l.debtor = "999".into()), NOW),
            [code::DEBTOR_UNKNOWN]
        );
        assert_eq!(
            message(
                good_bs().line_with(|l| l.format_id = "XX".into()),
                NOW,
                code::FORMAT_UNKNOWN
            ),
            "payment format 'XX' does not exist"
        );
    }

    #[test]
    fn which_lines_are_validated() {
        let data = good_bs()
            .charge("E2", "100100", "2026-06-02", "1.00")
            .sent(Status::Sent, "2026-05-01")
            .charge("E3", "100100", "2026-06-03", "1.00")
            .line_with(|l| l.status = Status::Transmitting)
            .charge("E4", "100100", "2026-06-04", "1.00")
            .line_with(|l| l.status = Status::Waiting)
            .charge("E5", "100100", "2026-06-08", "1.00")
            .sent(Status::Received, "2026-05-01")
            .build();
        let lines: Vec<i64> = results(&data, NOW).iter().map(|v| v.line).collect();
        assert_eq!(lines, [1, 3, 4]);
        let ls_stops = ls()
            .charge("E1", "200200", "2026-06-01", "1.00")
            .sent(Status::Stop, "2026-05-01")
            .charge("E2", "200200", "2026-06-02", "1.00")
            .sent(Status::Stop, "2026-05-01")
            .line_with(|l| l.cancellation_sent = true)
            .build();
        let lines: Vec<i64> = results(&ls_stops, NOW).iter().map(|v| v.line).collect();
        assert_eq!(lines, [1]);
    }

    #[test]
    fn status_not_exportable() {
        let waiting = good_bs().line_with(|l| l.status = Status::Waiting);
        assert_eq!(codes(waiting, NOW), [code::STATUS_NOT_EXPORTABLE]);
        let bs_stop = good_bs().sent(Status::Stop, "2026-05-01");
        assert_eq!(codes(bs_stop, NOW), [code::STATUS_NOT_EXPORTABLE]);
        ok(
            good_bs().line_with(|l| l.status = Status::Transmitting),
            NOW,
        );
        ok(good_ls().sent(Status::Stop, "2026-05-01"), NOW);
    }

    /// Validated in chunks on two threads, a run with clashes, failures and passes gives
    /// every line the result [`validate`] gives it, in order; a chunk refused ends it. The
    /// code sets are those of the same results.
    #[test]
    fn validations_in_chunks_are_validate_s() {
        let mut run = bs().enrolled("100101").enrolled("100102");
        for n in 0..9 {
            let debtor = ["100100", "100101", "100102", "100199"][n % 4];
            let entry = format!("E{n}");
            let due = ["2026-06-01", "2026-06-02", "2026-05-02"][n % 3];
            run = run.entry(&entry, debtor, due, "100.00").line(&entry, due);
        }
        let data = run.build();
        let all = results(&data, NOW);
        assert!(all.iter().any(|v| v.errors.is_empty()), "{all:?}");
        assert!(all.iter().any(|v| v.errors.len() > 1), "{all:?}");
        for chunk in 1..=10 {
            assert_eq!(in_chunks(&data, NOW, chunk).0, all, "chunks of {chunk}");
        }
        // The code sets: the codes of the same results.
        let sets: Vec<(i64, Codes)> = all.iter().map(|v| (v.line, Codes::of(&v.errors))).collect();
        assert_eq!(validate_code_sets(&data, cal(), time(NOW)), sets);
        let mut taken = 0;
        let refused = validations_in_chunks(&data, cal(), time(NOW), 4, |results| {
            taken += results.len();
            Err("stop")
        });
        assert_eq!((refused, taken), (Err("stop"), 4));
    }

    #[test]
    fn currency_not_dkk() {
        let eur = bs()
            .entry_with("E1", "100100", "2026-06-01", "1000.00", |e| {
                e.currency = "EUR".into()
            })
            .line("E1", "2026-06-01");
        assert_eq!(
            message(eur, NOW, code::CURRENCY_NOT_DKK),
            "entry E1 is in EUR: Betalingsservice and Leverandørservice charge only DKK"
        );
        ok(good_bs(), NOW);
    }

    #[test]
    fn amount_zero() {
        let zero_amount = bs()
            .entry_with("E1", "100100", "2026-06-01", "0", |e| {
                e.remaining = amount("5.00")
            })
            .line("E1", "2026-06-01");
        assert_eq!(codes(zero_amount, NOW), [code::AMOUNT_ZERO]);
        let zero_partial = good_bs().line_with(|l| l.partial_payment = Some(Amount::ZERO));
        assert_eq!(codes(zero_partial, NOW), [code::AMOUNT_ZERO]);
        // An LS stop line sends a 0-amount cancellation on purpose.
        let stop = good_ls()
            .sent(Status::Stop, "2026-05-01")
            .line_with(|l| l.partial_payment = Some(Amount::ZERO));
        ok(stop, NOW);
        let bs_stop = good_bs()
            .sent(Status::Stop, "2026-05-01")
            .line_with(|l| l.partial_payment = Some(Amount::ZERO));
        assert_eq!(
            codes(bs_stop, NOW),
            [code::STATUS_NOT_EXPORTABLE, code::AMOUNT_ZERO]
        );
    }

    #[test]
    fn partial_payment_invalid() {
        let too_much = good_bs().line_with(|l| l.partial_payment = Some(amount("1000.01")));
        assert_eq!(codes(too_much, NOW), [code::PARTIAL_PAYMENT_INVALID]);
        let wrong_sign = good_bs().line_with(|l| l.partial_payment = Some(amount("-10.00")));
        assert_eq!(codes(wrong_sign, NOW), [code::PARTIAL_PAYMENT_INVALID]);
        ok(
            good_bs().line_with(|l| l.partial_payment = Some(amount("999.99"))),
            NOW,
        );
    }

    #[test]
    fn payout_blocked() {
        let credit_note = |block| {
            bs().format_with(move |f| f.block_payouts = block).charge(
                "C1",
                "100100",
                "2026-06-01",
                "-250.00",
            )
        };
        assert_eq!(
            message(credit_note(true), NOW, code::PAYOUT_BLOCKED),
            "the amount to charge -250.00 is a payout, and payment format BS blocks payouts"
        );
        ok(credit_note(false), NOW);
        let collection = good_bs().format_with(|f| f.block_payouts = true);
        ok(collection, NOW);
    }

    #[test]
    fn invoice_missing_only_for_bs_unless_allowed() {
        let no_invoice = |run: Run, debtor: &str| {
            run.entry_with("E1", debtor, "2026-06-01", "1000.00", |e| e.invoice = None)
                .line("E1", "2026-06-01")
        };
        assert_eq!(
            codes(no_invoice(bs(), "100100"), NOW),
            [code::INVOICE_MISSING]
        );
        let allowed = bs().format_with(|f| f.allow_without_invoice = true);
        ok(no_invoice(allowed, "100100"), NOW);
        ok(no_invoice(ls(), "200200"), NOW);
        let blank = bs()
            .entry_with("E1", "100100", "2026-06-01", "1.00", |e| {
                e.invoice = Some(" ".into())
            })
            .line("E1", "2026-06-01");
        assert_eq!(codes(blank, NOW), [code::INVOICE_MISSING]);
    }

    #[test]
    fn invoice_lines_missing_only_for_ls() {
        let no_lines = |run: Run, debtor: &str| {
            run.entry_with("E1", debtor, "2026-06-01", "1000.00", |e| {
                e.has_invoice_lines = false
            })
            .line("E1", "2026-06-01")
        };
        assert_eq!(
            codes(no_lines(ls(), "200200"), NOW),
            [code::INVOICE_LINES_MISSING]
        );
        ok(no_lines(bs(), "100100"), NOW);
    }

    #[test]
    fn cvr_missing_for_ls_and_a_cpr_does_not_count() {
        let with_tax_id = |tax_id: Option<TaxId>| {
            Run::new()
                .ls("LS")
                .debtor_with("200200", move |d| d.tax_id = tax_id)
                .mandate("200200")
                .charge("E1", "200200", "2026-06-01", "1000.00")
        };
        let cpr = TaxId::parse("0101701234").ok();
        let text = message(with_tax_id(cpr), NOW, code::CVR_MISSING);
        assert_eq!(
            text,
            "debtor 200200 has a CPR number, not a CVR number: Leverandørservice charges only companies"
        );
        assert!(!text.contains("0101701234"), "I12: {text}");
        assert_eq!(codes(with_tax_id(None), NOW), [code::CVR_MISSING]);
        ok(with_tax_id(TaxId::parse("12345678").ok()), NOW);
        // BS charges persons too.
        let bs_person = Run::new()
            .bs_basis("BS")
            .debtor_with("100100", |d| d.tax_id = TaxId::parse("0101701234").ok())
            .mandate("100100")
            .charge("E1", "100100", "2026-06-01", "1.00");
        ok(bs_person, NOW);
    }

    #[test]
    fn mandate_not_active() {
        let no_mandate =
            Run::new()
                .bs_basis("BS")
                .debtor("100100")
                .charge("E1", "100100", "2026-06-01", "1.00");
        assert_eq!(
            message(no_mandate, NOW, code::MANDATE_NOT_ACTIVE),
            "debtor 100100 has no mandate for payment format BS active on 2026-06-01"
        );
        // BS Total charges debtors without a mandate through a payment slip.
        ok(
            Run::new()
                .bs_total("BS")
                .debtor("100100")
                .charge("E1", "100100", "2026-06-01", "1.00"),
            NOW,
        );
        let ls_no_mandate =
            Run::new()
                .ls("LS")
                .debtor("200200")
                .charge("E1", "200200", "2026-06-01", "1.00");
        assert_eq!(codes(ls_no_mandate, NOW), [code::MANDATE_NOT_ACTIVE]);
        // A mandate of another format does not count.
        let other_format = Run::new()
            .ls("LS")
            .mandate("100100")
            .bs_basis("BS")
            .debtor("100100")
            .charge("E1", "100100", "2026-06-01", "1.00");
        assert_eq!(codes(other_format, NOW), [code::MANDATE_NOT_ACTIVE]);
        // Ended on the payment date, starting after it, unsubscribed: not active.
        for change in [
            (|m: &mut crate::model::Mandate| m.end_date = Some(date("2026-06-01")))
                as fn(&mut crate::model::Mandate),
            |m| m.start_date = Some(date("2026-06-02")),
            |m| m.status = crate::model::MandateStatus::Unsubscribed,
        ] {
            let run = Run::new()
                .bs_basis("BS")
                .debtor("100100")
                .mandate_with("100100", change)
                .charge("E1", "100100", "2026-06-01", "1.00");
            assert_eq!(codes(run, NOW), [code::MANDATE_NOT_ACTIVE]);
        }
        let ends_later = Run::new()
            .bs_basis("BS")
            .debtor("100100")
            .mandate_with("100100", |m| m.end_date = Some(date("2026-06-02")))
            .charge("E1", "100100", "2026-06-01", "1.00");
        ok(ends_later, NOW);
    }

    #[test]
    fn not_banking_day() {
        // Constitution Day 2026 is a Friday and a bank closing day.
        let run = bs().charge("E1", "100100", "2026-06-05", "1.00");
        assert_eq!(
            message(run, NOW, code::NOT_BANKING_DAY),
            "payment date 2026-06-05 (Friday) is not a banking day"
        );
        assert_eq!(
            codes(bs().charge("E1", "100100", "2026-06-06", "1.00"), NOW),
            [code::NOT_BANKING_DAY]
        );
        ok(bs().charge("E1", "100100", "2026-06-04", "1.00"), NOW);
    }

    #[test]
    fn payment_date_past() {
        // The deadline of a past date has passed too: both are reported.
        assert_eq!(
            codes(bs().charge("E1", "100100", "2026-05-19", "1.00"), NOW),
            [code::PAYMENT_DATE_PAST, code::DEADLINE_PASSED]
        );
        let ls_today = ls().charge("E1", "200200", "2026-05-20", "1.00");
        assert_eq!(codes(ls_today, NOW), [code::DEADLINE_PASSED]);
    }

    #[test]
    fn beyond_horizon() {
        // Today 2026-05-20 + 90 days = 2026-08-18.
        let run = bs().charge("E1", "100100", "2026-08-19", "1.00");
        assert_eq!(
            message(run, NOW, code::BEYOND_HORIZON),
            "payment date 2026-08-19 is more than 90 calendar days after today (2026-05-20); the latest allowed is 2026-08-18"
        );
        ok(bs().charge("E1", "100100", "2026-08-18", "1.00"), NOW);
    }

    #[test]
    fn bs_deadline_is_the_sixth_last_banking_day_at_the_cutoff() {
        // Payment date 2026-06-01: the 6th-last banking day of May 2026 is the 21st.
        ok(good_bs(), "2026-05-21 17:29");
        ok(good_bs(), "2026-05-21 17:30");
        assert_eq!(
            message(good_bs(), "2026-05-21 17:31", code::DEADLINE_PASSED),
            "the deadline for payment date 2026-06-01 was 2026-05-21 17:30"
        );
        // The extension moves it to the 3rd-last banking day, the 27th.
        let extended = good_bs().format_with(|f| f.extended_deadline = true);
        ok(extended, "2026-05-27 17:29");
        let extended = good_bs().format_with(|f| f.extended_deadline = true);
        assert_eq!(codes(extended, "2026-05-27 17:31"), [code::DEADLINE_PASSED]);
    }

    #[test]
    fn ls_deadline_is_one_banking_day_before_or_two_for_a_payout() {
        ok(good_ls(), "2026-05-29 14:59");
        assert_eq!(
            message(good_ls(), "2026-05-29 15:01", code::DEADLINE_PASSED),
            "the deadline for payment date 2026-06-01 was 2026-05-29 15:00"
        );
        let payout = || ls().charge("C1", "200200", "2026-06-01", "-100.00");
        ok(payout(), "2026-05-28 14:59");
        assert_eq!(codes(payout(), "2026-05-28 15:01"), [code::DEADLINE_PASSED]);
        ok(good_ls(), "2026-05-28 15:01");
    }

    #[test]
    fn dates_outside_the_calendar_fail_the_rules_without_panicking() {
        let run = bs().charge("E1", "100100", "2200-01-06", "1.00");
        let result = result_of(&run.build(), NOW, 1);
        assert_eq!(
            result.codes(),
            [
                code::NOT_BANKING_DAY,
                code::BEYOND_HORIZON,
                code::DEADLINE_PASSED
            ]
        );
        assert!(result.errors[0]
            .message
            .contains("outside the supported range"));
        assert!(result.errors[2]
            .message
            .starts_with("cannot compute the deadline for payment date 2200-01-06"));
    }

    #[test]
    fn all_failures_are_reported_in_precedence_order() {
        let run = Run::new()
            .ls("LS")
            .debtor_with("200200", |d| d.tax_id = None)
            .entry_with("E1", "200200", "2026-06-01", "-10.00", |e| {
                e.currency = "SEK".into();
                e.has_invoice_lines = false;
            })
            .line("E1", "2026-05-16")
            .line_with(|l| {
                l.status = Status::Waiting;
                l.partial_payment = Some(amount("5.00"));
                l.group = Some(GROUP_DESELECTED.into());
            })
            .format_with(|f| f.block_payouts = true)
            // A second live line for the same entry.
            .line("E1", "2026-06-01");
        let got = codes(run, NOW);
        assert_eq!(
            got,
            [
                code::STATUS_NOT_EXPORTABLE,
                code::CURRENCY_NOT_DKK,
                code::PARTIAL_PAYMENT_INVALID,
                code::INVOICE_LINES_MISSING,
                code::CVR_MISSING,
                code::MANDATE_NOT_ACTIVE,
                code::NOT_BANKING_DAY,
                code::PAYMENT_DATE_PAST,
                code::DEADLINE_PASSED,
                code::ENTRY_ON_OTHER_LINE,
                code::DESELECTED,
            ]
        );
        let mut order = PRECEDENCE.iter();
        for c in &got {
            assert!(order.any(|p| p == c), "{c} out of order in {got:?}");
        }
    }

    #[test]
    fn two_faults_show_both_codes_in_order() {
        let run = bs()
            .entry_with("E1", "100100", "2026-06-01", "1000.00", |e| {
                e.invoice = None;
                e.currency = "EUR".into();
            })
            .line("E1", "2026-06-01");
        assert_eq!(
            codes(run, NOW),
            [code::CURRENCY_NOT_DKK, code::INVOICE_MISSING]
        );
    }

    /// Codes per line for a data set, as `line: codes` text, for the clash tests.
    fn report(data: &RunData, now: &str) -> String {
        results(data, now)
            .iter()
            .map(|v| format!("{}: {}", v.line, v.codes().join(" ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn two_blank_lines_on_one_date_both_clash() {
        let data = good_bs()
            .charge("E2", "100100", "2026-06-01", "50.00")
            .build();
        assert_eq!(
            report(&data, NOW),
            "1: duplicate-debtor-date\n2: duplicate-debtor-date"
        );
        assert_eq!(
            result_of(&data, NOW, 1).errors[0].message,
            "debtor 100100 already has line 2 on 2026-06-01 in payment format BS: only one charge per debtor per payment date; collect them into one collective payment or move one to another date"
        );
    }

    #[test]
    fn lines_on_other_dates_debtors_or_formats_do_not_clash() {
        let data = good_bs()
            .charge("E2", "100100", "2026-06-02", "50.00")
            .enrolled("100101")
            .charge("E3", "100101", "2026-06-01", "50.00")
            .bs_basis("BS2")
            .mandate("100100")
            .entry("E4", "100100", "2026-06-01", "50.00")
            .line("E4", "2026-06-01")
            .line_with(|l| l.format_id = "BS2".into())
            .build();
        assert_eq!(report(&data, NOW), "1: \n2: \n3: \n4: ");
    }

    #[test]
    fn merged_lines_do_not_clash() {
        let group: Option<Id> = Some("100100-20260601".into());
        let data = good_bs()
            .line_with(|l| l.group = group.clone())
            .charge("E2", "100100", "2026-06-01", "50.00")
            .line_with(|l| l.group = group.clone())
            .build();
        assert_eq!(report(&data, NOW), "1: \n2: ");
        // A third, unmerged line clashes with both, and they with it.
        let data = good_bs()
            .line_with(|l| l.group = group.clone())
            .charge("E2", "100100", "2026-06-01", "50.00")
            .line_with(|l| l.group = group.clone())
            .charge("E3", "100100", "2026-06-01", "5.00")
            .build();
        let all = "duplicate-debtor-date";
        assert_eq!(report(&data, NOW), format!("1: {all}\n2: {all}\n3: {all}"));
        // A group id that does not match the line's date (left over from before the date was
        // changed) does not merge.
        let data = good_bs()
            .line_with(|l| l.group = Some("100100-20260602".into()))
            .charge("E2", "100100", "2026-06-01", "50.00")
            .line_with(|l| l.group = Some("100100-20260602".into()))
            .build();
        assert_eq!(report(&data, NOW), format!("1: {all}\n2: {all}"));
    }

    #[test]
    fn a_sent_line_clashes_unless_overwriting_is_allowed() {
        let sent_first = || {
            bs().charge("E1", "100100", "2026-06-01", "10.00")
                .sent(Status::Sent, "2026-05-10")
                .charge("E2", "100100", "2026-06-01", "50.00")
        };
        assert_eq!(
            report(&sent_first().build(), NOW),
            "2: duplicate-debtor-date"
        );
        assert!(result_of(&sent_first().build(), NOW, 2).errors[0]
            .message
            .contains("line 1 (sent)"));
        let overwriting = sent_first().line_with(|l| l.allow_overwriting = true);
        assert_eq!(report(&overwriting.build(), NOW), "2: ");
        // Allow overwriting replaces sent charges, not another unsent line.
        let two_new = sent_first()
            .line_with(|l| l.allow_overwriting = true)
            .charge("E3", "100100", "2026-06-01", "5.00");
        assert_eq!(
            report(&two_new.build(), NOW),
            "2: duplicate-debtor-date\n3: duplicate-debtor-date"
        );
    }

    #[test]
    fn finished_sent_lines_do_not_clash() {
        for status in [
            Status::Rejected,
            Status::Unsubscribed,
            Status::Reversed,
            Status::Stop,
        ] {
            let data = bs()
                .charge("E1", "100100", "2026-06-01", "10.00")
                .sent(status, "2026-05-10")
                .charge("E2", "100100", "2026-06-01", "50.00")
                .build();
            let got = results(&data, NOW);
            let line2 = got.iter().find(|v| v.line == 2).unwrap();
            assert!(line2.is_ok(), "{status:?}: {:?}", line2.errors);
        }
        for status in [
            Status::Sent,
            Status::ToBeTreated,
            Status::Received,
            Status::Difference,
            Status::Error,
            Status::Information,
        ] {
            let data = bs()
                .charge("E1", "100100", "2026-06-01", "10.00")
                .sent(status, "2026-05-10")
                .charge("E2", "100100", "2026-06-01", "50.00")
                .build();
            assert_eq!(report(&data, NOW), "2: duplicate-debtor-date", "{status:?}");
        }
    }

    #[test]
    fn waiting_and_deselected_lines_are_not_live() {
        let data = good_bs()
            .charge("E2", "100100", "2026-06-01", "50.00")
            .line_with(|l| l.status = Status::Waiting)
            .charge("E3", "100100", "2026-06-01", "50.00")
            .line_with(|l| l.group = Some(GROUP_DESELECTED.into()))
            .build();
        // Line 1 clashes with nothing live; the waiting and deselected lines would clash with it
        // once released.
        assert_eq!(
            report(&data, NOW),
            "1: \n2: status-not-exportable duplicate-debtor-date\n3: duplicate-debtor-date deselected"
        );
    }

    #[test]
    fn an_entry_on_two_live_lines_is_flagged() {
        // A rejected line set back to blank after suggest already made a new one.
        let data = good_bs().line("E1", "2026-06-02").build();
        assert_eq!(
            report(&data, NOW),
            "1: entry-on-other-line\n2: entry-on-other-line"
        );
        let data = good_bs()
            .sent(Status::Received, "2026-05-10")
            .line("E1", "2026-06-02")
            .build();
        assert_eq!(
            result_of(&data, NOW, 2).errors[0].message,
            "entry E1 is also on line 1 (received): charging it on two lines may charge the debtor twice"
        );
        let data = good_bs()
            .sent(Status::Rejected, "2026-05-10")
            .line("E1", "2026-06-02")
            .build();
        assert_eq!(report(&data, NOW), "2: ");
    }

    #[test]
    fn the_group_net_decides_payout_rules_for_merged_lines() {
        let group: Option<Id> = Some("200200-20260601".into());
        let merged = |credit: &str| {
            ls().format_with(|f| f.block_payouts = true)
                .charge("E1", "200200", "2026-06-01", "100.00")
                .line_with(|l| l.group = group.clone())
                .charge("C1", "200200", "2026-06-01", credit)
                .line_with(|l| l.group = group.clone())
                .build()
        };
        // Nets to +70.00: a collection, so the credit note is not a blocked payout, and the
        // group's deadline is D-1 (2026-05-29 15:00), not D-2.
        assert_eq!(report(&merged("-30.00"), "2026-05-28 16:00"), "1: \n2: ");
        // Nets to -20.00: a payout, blocked, and due D-2.
        assert_eq!(
            report(&merged("-120.00"), "2026-05-28 16:00"),
            "1: payout-blocked deadline-passed\n2: payout-blocked deadline-passed"
        );
    }
}
