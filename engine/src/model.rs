//! The domain model: payment formats, debtors, mandates, payment lines and their statuses.
//!
//! These are plain values. The store loads and saves them; the pure core (suggestion,
//! validation, collective payments, status machine) takes them as arguments. Names follow the
//! glossary of `domain.md`. Open debtor entries are the ledger's ([`ledger::Entry`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use ledger::{Amount, Id};
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash};

/// The two Mastercard direct-debit schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Betalingsservice: consumers and companies (B2C).
    Bs,
    /// Leverandørservice: companies only (B2B).
    Ls,
}

/// Betalingsservice solution type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BsType {
    /// Only debtors enrolled with a mandate can be charged.
    Basis,
    /// Debtors without a mandate get a payment slip; enrolled ones are charged automatically.
    Total,
}

/// Which amount of an entry is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargingPrinciple {
    /// The entry's amount.
    Standard,
    /// The entry's remaining amount.
    Remaining,
}

/// What to do with a payment date that is not a banking day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BankingDayAction {
    /// Move to the next banking day (the default).
    After,
    /// Move to the previous banking day, but never before today.
    Before,
    /// Leave the date; validation then reports `not-banking-day`.
    None,
}

/// A payment format ("file format for payment method"): how one company collects through one
/// scheme. A company may have several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFormat {
    pub id: Id,
    pub scheme: Scheme,
    /// Always `Some` for BS (default Basis), `None` for LS.
    pub bs_type: Option<BsType>,
    /// BS: 8-digit PBS number; LS: 5-digit creditor number. Leading zeros kept.
    pub creditor_number: String,
    /// The data supplier's CVR number (8 digits).
    pub supplier_cvr: String,
    /// 5 digits, default `00001`.
    pub debtor_group: String,
    /// Default `BS1`.
    pub system_code: String,
    pub principle: ChargingPrinciple,
    /// The ledger account the money arrives on, e.g. `5850`.
    pub bank_account: Option<String>,
    /// The journal that bank answers are posted to, e.g. `Day`.
    pub journal: String,
    pub banking_day_action: BankingDayAction,
    /// Our delivery cut-off (default BS 17:30, LS 15:00; never later than Mastercard's).
    pub cutoff: NaiveTime,
    /// BS: the paid extension moves the deadline to the 3rd-last banking day.
    pub extended_deadline: bool,
    pub allow_without_invoice: bool,
    pub block_payouts: bool,
    /// Give each entry a FIK71 payment id.
    pub create_payment_id: bool,
    /// Use the debtor's account number as mandate id (customer number).
    pub debtor_account_as_mandate: bool,
}

/// A debtor's tax identity: a company's CVR number or a person's CPR number.
///
/// A CPR number is personal data (I12): `Display` masks all but its last four digits, and
/// `Debug` does the same, so it cannot leak through logs or error messages by accident.
/// Only [`TaxId::digits`] gives the whole number, for the delivery file that needs it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum TaxId {
    /// 8 digits.
    Cvr(Id),
    /// 10 digits.
    Cpr(Id),
}

impl TaxId {
    /// Reads 8 digits as a CVR number and 10 digits as a CPR number, which may also be written
    /// the way it usually is, `DDMMYY-SSSS` (kept as its 10 digits); anything else is refused
    /// with a message that does not repeat the value (it may be a CPR number with a typo).
    pub fn parse(text: &str) -> Result<TaxId, String> {
        if let Some((birth, serial)) = text.split_once('-') {
            let digits = |part: &str, count: usize| {
                part.len() == count && part.bytes().all(|b| b.is_ascii_digit())
            };
            if digits(birth, 6) && digits(serial, 4) {
                return Ok(TaxId::Cpr(Id::from(format!("{birth}{serial}"))));
            }
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                "a CVR number has 8 digits and a CPR number 10 (or DDMMYY-SSSS); \
                 found other characters"
                    .into(),
            );
        }
        match text.len() {
            8 => Ok(TaxId::Cvr(Id::from(text))),
            10 => Ok(TaxId::Cpr(Id::from(text))),
            n => Err(format!(
                "a CVR number has 8 digits and a CPR number 10 (or DDMMYY-SSSS); found {n} digits"
            )),
        }
    }

    /// The whole number. Never print it: use `Display`.
    pub fn digits(&self) -> &str {
        match self {
            TaxId::Cvr(d) | TaxId::Cpr(d) => d,
        }
    }

    pub fn is_cvr(&self) -> bool {
        matches!(self, TaxId::Cvr(_))
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxId::Cvr(d) => f.write_str(d),
            TaxId::Cpr(d) => write!(f, "******{}", &d[d.len().saturating_sub(4)..]),
        }
    }
}

impl fmt::Debug for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxId::Cvr(_) => write!(f, "Cvr({self})"),
            TaxId::Cpr(_) => write!(f, "Cpr({self})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub account: Id,
    pub name: Id,
    pub tax_id: Option<TaxId>,
    pub address: Id,
    pub postcode: Id,
    pub city: Id,
    /// ISO 3166 alpha-2, default `DK`.
    pub country: Id,
    pub email: Id,
    pub payment_format: Option<Id>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MandateStatus {
    None,
    Registered,
    Enrolled,
    Unsubscribed,
    Error,
}

impl MandateStatus {
    pub const ALL: [MandateStatus; 5] = [
        MandateStatus::None,
        MandateStatus::Registered,
        MandateStatus::Enrolled,
        MandateStatus::Unsubscribed,
        MandateStatus::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MandateStatus::None => "none",
            MandateStatus::Registered => "registered",
            MandateStatus::Enrolled => "enrolled",
            MandateStatus::Unsubscribed => "unsubscribed",
            MandateStatus::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<MandateStatus> {
        MandateStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A mandate (BS: customer number / aftale): the debtor's permission to be charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    /// The customer number: at most 15 characters, upper case.
    pub mandate_id: Id,
    pub debtor: Id,
    pub payment_format: Id,
    pub status: MandateStatus,
    /// 9 digits, from Mastercard.
    pub agreement: Option<Id>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// The id the debtor is registered with at Mastercard, when it differs.
    pub alt_mandate_id: Option<Id>,
}

impl Mandate {
    /// Active on a date: enrolled, started on or before it, and not ended on or before it.
    /// A mandate without a start date counts as started.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.status == MandateStatus::Enrolled
            && self.start_date.is_none_or(|start| start <= date)
            && self.end_date.is_none_or(|end| end > date)
    }
}

/// The status of a payment line (`domain.md` §6). The command-line id is [`Status::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Blank,
    Sent,
    ToBeTreated,
    Unsubscribed,
    Rejected,
    Reversed,
    Error,
    Received,
    Difference,
    Transmitting,
    Waiting,
    Information,
    Stop,
}

impl Status {
    pub const ALL: [Status; 13] = [
        Status::Blank,
        Status::Sent,
        Status::ToBeTreated,
        Status::Unsubscribed,
        Status::Rejected,
        Status::Reversed,
        Status::Error,
        Status::Received,
        Status::Difference,
        Status::Transmitting,
        Status::Waiting,
        Status::Information,
        Status::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Blank => "blank",
            Status::Sent => "sent",
            Status::ToBeTreated => "to-be-treated",
            Status::Unsubscribed => "unsubscribed",
            Status::Rejected => "rejected",
            Status::Reversed => "reversed",
            Status::Error => "error",
            Status::Received => "received",
            Status::Difference => "difference",
            Status::Transmitting => "transmitting",
            Status::Waiting => "waiting",
            Status::Information => "information",
            Status::Stop => "stop",
        }
    }

    /// The word a bookkeeper reads in a table.
    pub fn label(self) -> &'static str {
        match self {
            Status::Blank => "Blank",
            Status::Sent => "Sent",
            Status::ToBeTreated => "To be treated",
            Status::Unsubscribed => "Unsubscribed",
            Status::Rejected => "Rejected",
            Status::Reversed => "Reversed",
            Status::Error => "Errors",
            Status::Received => "Received",
            Status::Difference => "Difference",
            Status::Transmitting => "Transmitting",
            Status::Waiting => "Waiting",
            Status::Information => "Information",
            Status::Stop => "Stop",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The collective payment id of a line that stays on its own.
pub const GROUP_SINGLE: &str = "-";
/// The collective payment id of lines that `collect` left out of the run.
pub const GROUP_DESELECTED: &str = "Deselected";

/// One validation failure on a payment line: a stable code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub code: &'static str,
    pub message: String,
}

/// A payment line: one open entry proposed for collection (or payout) on a payment date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    /// The line id (`line` in JSON), unique within the database.
    pub id: i64,
    pub entry_id: Id,
    /// Copied from the entry, so lookups per debtor need no join.
    pub debtor: Id,
    pub format_id: Id,
    pub payment_date: NaiveDate,
    pub partial_payment: Option<Amount>,
    pub status: Status,
    /// The result of the last validation ("system info"); empty = ok. `None` = never validated.
    pub errors: Option<Box<[ValidationError]>>,
    pub comment: Id,
    /// Collective payment id: `None` (not collected), [`GROUP_SINGLE`], [`GROUP_DESELECTED`] or
    /// `<debtor>-<yyyymmdd>`.
    pub group: Option<Id>,
    pub allow_overwriting: bool,
    /// The unique payment reference given at export, echoed by the bank.
    pub reference: Option<Id>,
    pub date_sent: Option<NaiveDate>,
    pub delivery_id: Option<Id>,
    /// LS stop lines: the 0-amount cancellation has been sent (the line stays `stop`).
    pub cancellation_sent: bool,
}

impl PaymentLine {
    /// A new line as `suggest` creates it: status blank, no partial payment, group,
    /// reference or validation yet.
    pub fn blank(
        id: i64,
        entry_id: Id,
        debtor: Id,
        format_id: Id,
        payment_date: NaiveDate,
    ) -> PaymentLine {
        PaymentLine {
            id,
            entry_id,
            debtor,
            format_id,
            payment_date,
            partial_payment: None,
            status: Status::Blank,
            errors: None,
            comment: Id::new(),
            group: None,
            allow_overwriting: false,
            reference: None,
            date_sent: None,
            delivery_id: None,
            cancellation_sent: false,
        }
    }

    /// True when the last validation found nothing wrong.
    pub fn is_ok(&self) -> bool {
        self.errors.as_ref().is_some_and(|e| e.is_empty())
    }
}

/// One entry of a line's status log: every change, manual or automatic, with its cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub at: NaiveDateTime,
    pub old: Option<Status>,
    pub new: Status,
    /// `manual`, `export of delivery N`, `import of file F`, `suggest`…
    pub cause: String,
}

pub use ledger::{FastHasher, FastMap, FastSet};

/// `positions` as (hash of its key, position) pairs, sorted so that the positions of one key
/// lie together, in ascending order: a grouping that holds 16 bytes a position, where a map
/// from each key to a vector of its positions held about 66 at a million lines. Cut the list
/// where [`same_key`] says the key changes.
///
/// Sorted by hash and position alone first: comparing two numbers is much cheaper than
/// reaching into two keys. Only if two keys share a hash (never seen; a 64-bit hash) are the
/// keys themselves compared, so that each key's positions lie together.
pub(crate) fn sorted_by_key<K: Hash + Ord>(
    positions: impl IntoIterator<Item = u32>,
    key: impl Fn(u32) -> K,
) -> Vec<(u64, u32)> {
    let hasher = BuildHasherDefault::<FastHasher>::default();
    let mut sorted: Vec<(u64, u32)> = positions
        .into_iter()
        .map(|p| (hasher.hash_one(key(p)), p))
        .collect();
    sorted.sort_unstable();
    let collided = sorted
        .windows(2)
        .any(|pair| pair[0].0 == pair[1].0 && key(pair[0].1) != key(pair[1].1));
    if collided {
        sorted.sort_unstable_by(|a, b| {
            (a.0.cmp(&b.0))
                .then_with(|| key(a.1).cmp(&key(b.1)))
                .then(a.1.cmp(&b.1))
        });
    }
    sorted
}

/// Whether two neighbours of a [`sorted_by_key`] list have the same key.
pub(crate) fn same_key<K: Eq>(a: (u64, u32), b: (u64, u32), key: impl Fn(u32) -> K) -> bool {
    a.0 == b.0 && key(a.1) == key(b.1)
}

/// Everything the pure core needs to know about one company's payment run, in memory.
///
/// The store builds it in one read transaction; suggestion, validation and grouping are
/// functions of it (plus the calendar and the clock), so they are fast and testable without a
/// database. Values are found by id: formats by format id, debtors by account, mandates by
/// debtor account (all of the debtor's mandates), entries by entry id.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub formats: FastMap<Id, PaymentFormat>,
    pub debtors: Debtors,
    pub mandates: Mandates,
    pub entries: Entries,
    pub lines: Vec<PaymentLine>,
}

/// Values kept in run data by their id (an entry by its entry id, a debtor by its account),
/// as a vector sorted by id: a million entries cost their own size, without a hash table's
/// slack around each or a second copy of each id as its key. A map of 200,000 debtors held
/// 55 MB, this 40 MB.
///
/// A lookup tries where the last one ended and the next position first (a payment format's
/// lines are numbered in entry order, so a step walking its lines mostly asks for those),
/// then a table of positions by a hash of the id: open addressing, 4 bytes a slot, at least
/// two slots a value, so a lookup is one hash, one slot and (nearly always) one comparison.
/// The table keeps no copy of the id; a map from hash to position held 36 MB at a million
/// entries, this 8 MB. Halving the vector instead, without a table, made suggest 8 % slower at
/// a million.
#[derive(Debug, Clone)]
pub struct ById<T> {
    sorted: Vec<T>,
    /// Positions in `sorted` ([`ById::EMPTY`] for a free slot), found by a hash of the id
    /// and the next slots after it; the length is a power of two.
    slots: Vec<u32>,
    /// Where the last lookup found its value. A payment format's lines are numbered in entry
    /// id order, so a step walking its lines mostly asks for the same entry or the next one:
    /// comparing two ids there costs less than a hash and a cache miss in the index.
    last: LastPosition,
}

/// The run's entries by entry id.
pub type Entries = ById<ledger::Entry>;

/// The run's debtors by account.
pub type Debtors = ById<Debtor>;

/// A value with the id [`ById`] keeps it by.
pub trait Keyed {
    fn id(&self) -> &str;
}

impl Keyed for ledger::Entry {
    fn id(&self) -> &str {
        &self.entry_id
    }
}

impl Keyed for Debtor {
    fn id(&self) -> &str {
        &self.account
    }
}

impl<T> Default for ById<T> {
    fn default() -> ById<T> {
        ById {
            sorted: Vec::new(),
            slots: Vec::new(),
            last: LastPosition::default(),
        }
    }
}

/// A position remembered across lookups through `&ById` (relaxed atomics: a stale value
/// only costs the hash lookup it would have saved).
#[derive(Debug, Default)]
struct LastPosition(std::sync::atomic::AtomicUsize);

impl LastPosition {
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set(&self, position: usize) {
        self.0.store(position, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for LastPosition {
    fn clone(&self) -> LastPosition {
        LastPosition(std::sync::atomic::AtomicUsize::new(self.get()))
    }
}

impl<T: PartialEq> PartialEq for ById<T> {
    fn eq(&self, other: &ById<T>) -> bool {
        self.sorted == other.sorted
    }
}

impl<T: Eq> Eq for ById<T> {}

fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = FastHasher::default();
    id.hash(&mut hasher);
    hasher.finish()
}

/// The table size for `values`: at least two slots each, a power of two.
fn slots_for(values: usize) -> usize {
    (values * 2).next_power_of_two().max(16)
}

impl<T: Keyed> ById<T> {
    fn position(&self, id: &str) -> Result<usize, usize> {
        let last = self.last.get();
        for i in [last, last + 1] {
            if self.sorted.get(i).is_some_and(|v| v.id() == id) {
                self.last.set(i);
                return Ok(i);
            }
        }
        if self.slots.is_empty() {
            return Err(0);
        }
        let mask = self.slots.len() - 1;
        let mut slot = id_hash(id) as usize & mask;
        loop {
            let position = self.slots[slot];
            if position == ById::<T>::EMPTY {
                return Err(0);
            }
            if self.sorted[position as usize].id() == id {
                self.last.set(position as usize);
                return Ok(position as usize);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// A free slot.
    const EMPTY: u32 = u32::MAX;

    /// Puts the value at position `i` into the table, which must have a free slot.
    fn index(&mut self, i: usize) {
        let mask = self.slots.len() - 1;
        let mut slot = id_hash(self.sorted[i].id()) as usize & mask;
        while self.slots[slot] != ById::<T>::EMPTY {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = u32::try_from(i).expect("fewer than 4 billion values");
    }

    /// Makes the table big enough for `values` (two slots each, at least) and fills it
    /// again when it had to grow.
    fn make_room(&mut self, values: usize) {
        let wanted = slots_for(values);
        if self.slots.len() < wanted {
            self.rebuild(wanted);
        }
    }

    fn rebuild(&mut self, slots: usize) {
        self.slots = vec![ById::<T>::EMPTY; slots];
        for i in 0..self.sorted.len() {
            self.index(i);
        }
    }

    /// The value's position in id order (`0..len()`), for a caller that keeps something per
    /// value in a vector.
    pub fn position_of(&self, id: &str) -> Option<usize> {
        self.position(id).ok()
    }

    /// The value at a position in id order (see [`ById::position_of`]).
    pub fn at(&self, position: usize) -> Option<&T> {
        self.sorted.get(position)
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.position(id).ok().map(|i| &self.sorted[i])
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.position(id).is_ok()
    }

    /// Adds `value`, or replaces the one with its id (returned). Values given in id order
    /// are appended; another is inserted in place, which renumbers the table (fine for the
    /// handful of values a test builds, the store gives them in order).
    pub fn insert(&mut self, value: T) -> Option<T> {
        if self.sorted.last().is_none_or(|last| last.id() < value.id()) {
            // Room first: a table that grows is filled from `sorted`, which must not yet
            // hold the new value, or it would be put in twice.
            self.make_room(self.sorted.len() + 1);
            self.sorted.push(value);
            self.index(self.sorted.len() - 1);
            return None;
        }
        let found = self.sorted.binary_search_by(|v| v.id().cmp(value.id()));
        match found {
            Ok(i) => Some(std::mem::replace(&mut self.sorted[i], value)),
            Err(i) => {
                self.sorted.insert(i, value);
                // Every position after `i` moved: fill the table again.
                let slots = self.slots.len().max(slots_for(self.sorted.len()));
                self.rebuild(slots);
                None
            }
        }
    }

    /// The values in id order.
    pub fn values(&self) -> std::slice::Iter<'_, T> {
        self.sorted.iter()
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Makes room for `additional` more values at once.
    pub fn reserve(&mut self, additional: usize) {
        self.sorted.reserve_exact(additional);
        self.make_room(self.sorted.len() + additional);
    }

    /// Gives back the room a growing vector keeps in reserve.
    pub fn shrink_to_fit(&mut self) {
        self.sorted.shrink_to_fit();
    }
}

/// The mandates of a run by debtor account: one vector sorted by debtor (a debtor's mandates
/// in the order they were added) and a table of where each debtor's first one is, as in
/// [`ById`]. A map from each debtor to a vector of its mandates held 32 MB at 200,000 debtors,
/// an allocation each; this 21 MB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mandates {
    sorted: Vec<Mandate>,
    /// The first mandate of each debtor, by a hash of the account (see [`ById`]).
    firsts: ById<FirstMandate>,
}

/// Where a debtor's mandates start in [`Mandates::sorted`] and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FirstMandate {
    debtor: Id,
    at: u32,
    count: u32,
}

impl Keyed for FirstMandate {
    fn id(&self) -> &str {
        &self.debtor
    }
}

impl Mandates {
    /// The mandates of `mandates`, each debtor's in the order given.
    pub fn from_vec(mut mandates: Vec<Mandate>) -> Mandates {
        mandates.sort_by(|a, b| a.debtor.cmp(&b.debtor));
        let mut firsts: ById<FirstMandate> = ById::default();
        firsts.reserve(mandates.chunk_by(|a, b| a.debtor == b.debtor).count());
        let mut at = 0;
        for run in mandates.chunk_by(|a, b| a.debtor == b.debtor) {
            firsts.insert(FirstMandate {
                debtor: run[0].debtor.clone(),
                at: u32::try_from(at).expect("fewer than 4 billion mandates"),
                count: u32::try_from(run.len()).expect("fewer than 4 billion mandates"),
            });
            at += run.len();
        }
        Mandates {
            sorted: mandates,
            firsts,
        }
    }

    /// The debtor's mandates, when it has any.
    pub fn get(&self, debtor: &str) -> Option<&[Mandate]> {
        let first = self.firsts.get(debtor)?;
        let at = first.at as usize;
        Some(&self.sorted[at..at + first.count as usize])
    }

    /// Adds a mandate after the debtor's others (the whole list is sorted again: for the
    /// handful a test builds; the store gives them all at once to [`Mandates::from_vec`]).
    pub fn insert(&mut self, mandate: Mandate) {
        let mut all = std::mem::take(&mut self.sorted);
        all.push(mandate);
        *self = Mandates::from_vec(all);
    }

    /// Every mandate, by debtor.
    pub fn values(&self) -> std::slice::Iter<'_, Mandate> {
        self.sorted.iter()
    }

    /// How many mandates there are.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

impl std::ops::Index<&str> for Mandates {
    type Output = [Mandate];

    fn index(&self, debtor: &str) -> &[Mandate] {
        self.get(debtor)
            .unwrap_or_else(|| panic!("no mandate of {debtor} in the run data"))
    }
}

impl<T: Keyed> std::ops::Index<&str> for ById<T> {
    type Output = T;

    fn index(&self, id: &str) -> &T {
        self.get(id)
            .unwrap_or_else(|| panic!("no {id} in the run data"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hasher;

    #[test]
    fn cpr_is_masked_in_display_and_debug() {
        let cpr = TaxId::parse("0101701234").unwrap();
        assert_eq!(cpr.to_string(), "******1234");
        assert_eq!(format!("{cpr:?}"), "Cpr(******1234)");
        assert_eq!(cpr.digits(), "0101701234");
        let cvr = TaxId::parse("12345678").unwrap();
        assert_eq!(cvr.to_string(), "12345678");
    }

    /// The usual way of writing a CPR number, with a dash after the birth date, is read as
    /// its 10 digits; other dashes are not.
    #[test]
    fn cpr_with_a_dash_is_read_as_its_digits() {
        let cpr = TaxId::parse("010170-1234").unwrap();
        assert_eq!(cpr, TaxId::parse("0101701234").unwrap());
        assert_eq!(cpr.to_string(), "******1234");
        for refused in [
            "010170-123",
            "01017-01234",
            "1234-5678",
            "010170-12345",
            "-0101701234",
        ] {
            let message = TaxId::parse(refused).unwrap_err();
            assert!(!message.contains(refused), "{message}");
        }
    }

    #[test]
    fn tax_id_errors_do_not_repeat_the_value() {
        let message = TaxId::parse("010170123").unwrap_err();
        assert!(!message.contains("010170123"), "{message}");
        assert!(TaxId::parse("01017012AB")
            .unwrap_err()
            .contains("other characters"));
    }

    #[test]
    fn mandate_active_window() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut m = Mandate {
            mandate_id: "100100".into(),
            debtor: "100100".into(),
            payment_format: "BS".into(),
            status: MandateStatus::Enrolled,
            agreement: None,
            start_date: Some(d("2026-01-01")),
            end_date: Some(d("2026-06-30")),
            alt_mandate_id: None,
        };
        assert!(!m.is_active_on(d("2025-12-31")));
        assert!(m.is_active_on(d("2026-01-01")));
        assert!(m.is_active_on(d("2026-06-29")));
        assert!(!m.is_active_on(d("2026-06-30")));
        m.status = MandateStatus::Registered;
        assert!(!m.is_active_on(d("2026-03-01")));
    }

    #[test]
    fn sorted_by_key_puts_each_keys_positions_together_in_order() {
        let keys = ["b", "a", "b", "c", "a", "b"];
        let runs = |sorted: &[(u64, u32)], key: &dyn Fn(u32) -> &'static str| {
            let mut runs: Vec<Vec<u32>> = Vec::new();
            for (i, &pair) in sorted.iter().enumerate() {
                if i == 0 || !same_key(sorted[i - 1], pair, key) {
                    runs.push(Vec::new());
                }
                runs.last_mut().unwrap().push(pair.1);
            }
            runs.sort();
            runs
        };
        let key = |p: u32| keys[p as usize];
        let sorted = sorted_by_key(0..6, key);
        assert_eq!(runs(&sorted, &key), [vec![0, 2, 5], vec![1, 4], vec![3]]);

        // Keys whose hashes all collide are still told apart and kept together.
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        struct Colliding(&'static str);
        impl Hash for Colliding {
            fn hash<H: Hasher>(&self, _: &mut H) {}
        }
        let sorted = sorted_by_key(0..6, |p| Colliding(keys[p as usize]));
        assert_eq!(runs(&sorted, &key), [vec![0, 2, 5], vec![1, 4], vec![3]]);
    }

    #[test]
    fn entries_are_found_by_id_in_any_insertion_order() {
        let entry = |id: &str, ore: i64| ledger::Entry {
            entry_id: id.into(),
            debtor: "D".into(),
            date: None,
            due_date: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            invoice: None,
            amount: Amount::from_ore(ore),
            remaining: Amount::from_ore(ore),
            currency: "DKK".into(),
            text: Id::default(),
            has_invoice_lines: true,
            payment_id: None,
        };
        let mut entries = Entries::default();
        for (id, ore) in [("E2", 2), ("E4", 4), ("E1", 1), ("E3", 3)] {
            assert_eq!(entries.insert(entry(id, ore)), None);
        }
        assert_eq!(
            entries.insert(entry("E3", 30)).map(|e| e.amount.ore()),
            Some(3)
        );
        let ids: Vec<&str> = entries.values().map(|e| e.entry_id.as_str()).collect();
        assert_eq!(ids, ["E1", "E2", "E3", "E4"]);
        for (id, ore) in [("E1", 1), ("E2", 2), ("E3", 30), ("E4", 4)] {
            assert_eq!(entries[id].amount.ore(), ore);
        }
        assert!(entries.get("E5").is_none());
        assert!(!entries.contains_key(""));

        // Enough entries to grow the table several times, given out of order and in order,
        // each found at its position, and ids that are not there not found.
        let mut entries = Entries::default();
        entries.reserve(10);
        for n in (0..3000).rev().step_by(7).chain(3000..4000) {
            entries.insert(entry(&format!("E{n:05}"), n));
        }
        for (position, e) in entries.values().enumerate() {
            assert_eq!(entries.position_of(&e.entry_id), Some(position));
        }
        for (id, ore) in [("E02999", 2999), ("E00003", 3), ("E03999", 3999)] {
            assert_eq!(entries[id].amount.ore(), ore);
        }
        assert!(entries.get("E02998").is_none());
        assert!(entries.get("E04000").is_none());
        // Each entry is in the table once, however often it grew.
        let filled = entries
            .slots
            .iter()
            .filter(|&&s| s != Entries::EMPTY)
            .count();
        assert_eq!(filled, entries.len());
    }

    #[test]
    fn status_ids_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for s in MandateStatus::ALL {
            assert_eq!(MandateStatus::parse(s.as_str()), Some(s));
        }
    }
}
