//! Planning an export (`domain.md` §7): which lines go out, as which charges, in which
//! delivery file. Pure: run data, validation results and settings in, a plan out; the store
//! applies it in one transaction and the file edge writes the files.
//!
//! **What is sent.** Every line that validation passed (`ok`) and whose status is blank or
//! transmitting, plus LS stop lines whose 0-amount cancellation has not gone out. Lines of one
//! collective group (`<debtor>-<yyyymmdd>`, matching the line's debtor and date) are one
//! charge with their net amount; every other line is a charge of its own. A group is sent only
//! when every line of it that can still be exported is `ok`: sending part of a group would
//! charge an amount nobody saw in `collect`. Such a group, a group that nets to zero, and a
//! charge whose customer number cannot be written are *held*: reported, not sent, unchanged.
//!
//! **Customer and agreement number.** The debtor's mandate in the line's format that is active
//! on the payment date (else its enrolled one, else any), its alternative mandate id when it
//! has one (the id Mastercard knows); the agreement number when it is 9 digits, else zeros.
//! A BS Total debtor without a mandate is charged under its account number (a payment slip).
//!
//! **BS 0601** (formats.md §2): one section 0112 per payment format, dated today, the company
//! name as the main text line; per charge the 042/0280 record with the reference in the
//! creditor's reference field, then its 052/0241 texts (one line per invoice). BS Total
//! formats also get the debtor's 022/0240 name and address (00001–00003), postcode and
//! country (00009) and CPR/CVR number (00010) records.
//!
//! **LS material type 40** (formats.md §7.4): one `001` per payment date with its `580`
//! collections and `585` payouts; an LS stop line's cancellation is a `580` (or `585` for a
//! payout) of amount 0 for the same date.

use super::{ExchangeError, HeldCharge};
use crate::charge::amount_to_charge;
use crate::collect::is_group_id;
use crate::delivery::{
    substitute, Bs0601Delivery, Bs0601Payment, Bs0601Section, Bs0601SectionCode, Bs0601Writer,
    DeliveryKey, Ls40Delivery, Ls40Payment, Ls40PaymentKind, Ls40Record, Ls40Writer, RenderError,
};
use crate::model::{
    BsType, Debtor, Mandate, MandateStatus, PaymentFormat, PaymentLine, RunData, Scheme, Status,
};
use crate::status::on_export;
use crate::validate::can_still_be_exported;
use chrono::{NaiveDate, NaiveDateTime};
use ledger::{Amount, Entry, Id};

/// Text records a BS payment may carry (052 record numbers 00001–05000).
const MAX_TEXT_LINES: usize = 5000;

/// The delivery text is handed on in pieces of about this many bytes (whole records).
const TEXT_PIECE: usize = 1 << 20;

/// What the plan needs besides the run data.
#[derive(Debug, Clone)]
pub struct ExportSettings<'a> {
    /// Written as the 0601 section's main text line.
    pub company_name: &'a str,
    /// Danish local time; today is the creation date and the date sent.
    pub now: NaiveDateTime,
    /// Write BS files as a ZIP archive.
    pub zip: bool,
    /// The last delivery id and charge number given in this company (0 = none yet).
    pub last_delivery_id: u64,
    pub last_charge: u64,
}

/// One line of a charge and the status export gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub line: i64,
    pub old: Status,
    pub new: Status,
}

/// One line of a charge, with its entry (none when it is missing), found while planning
/// walked the lines in id order: the file is written in another order, where each lookup
/// would be a hash and a cache miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeLine<'a> {
    pub line: &'a PaymentLine,
    pub entry: Option<&'a Entry>,
}

/// One charge: one 042/0280 or 580/585 record. It borrows its lines from the run data, so a
/// plan of a million charges copies no line; its debtor and collective payment id are its
/// first line's ([`PlannedCharge::debtor`], [`PlannedCharge::group`]: as fields they were 32
/// bytes a charge, 14 MB at the export's peak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCharge<'a> {
    /// The payment reference, 9 digits.
    pub reference: Id,
    /// The customer number written in the file.
    pub customer_no: Id,
    /// The agreement number written in a BS file: 9 digits, zeros when there is none.
    pub agreement_no: Id,
    pub payment_date: NaiveDate,
    /// Net, signed: negative = a payout. Zero for an LS cancellation.
    pub amount: Amount,
    /// An LS stop line's 0-amount cancellation.
    pub cancellation: bool,
    /// The charge pays out (for a cancellation: the charge it cancels paid out).
    pub payout: bool,
    /// The lines with their entries, in line id order: one allocation of exactly their
    /// number (two vectors, of lines and of entries, cost 60 bytes more a charge: 26 MB at a
    /// million lines, at the export's peak).
    pub lines: Box<[ChargeLine<'a>]>,
}

impl<'a> PlannedCharge<'a> {
    /// The debtor charged: the lines' debtor (a charge is of one debtor).
    pub fn debtor(&self) -> &'a Id {
        &self.first_line().debtor
    }

    /// The collective payment id, when the charge is a group of lines: its lines' own
    /// `<debtor>-<yyyymmdd>` (see `merged_group`).
    pub fn group(&self) -> Option<&'a str> {
        merged_group(self.first_line())
    }

    fn first_line(&self) -> &'a PaymentLine {
        self.lines[0].line
    }

    /// Each line of the charge with the status export gives it.
    pub fn line_changes(&self) -> impl Iterator<Item = PlannedLine> + '_ {
        self.lines
            .iter()
            .map(|&ChargeLine { line: l, .. }| PlannedLine {
                line: l.id,
                old: l.status,
                // Validation only passes lines export can move (§6), so the fallback is never
                // taken; it keeps the line where it is rather than guess.
                new: on_export(l.status).unwrap_or(l.status),
            })
    }
}

/// One delivery file. Its text is not part of the plan: [`write_delivery`] writes it a piece
/// at a time (a delivery of a million charges is over 100 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile<'a> {
    pub format: &'a PaymentFormat,
    pub format_id: String,
    pub scheme: Scheme,
    pub creditor: String,
    pub delivery_id: u64,
    /// The creation date written in the file (today).
    pub created: NaiveDate,
    /// The name in the out directory (`….zip` when zipped).
    pub file_name: String,
    /// The name of the delivery text: the ZIP entry, or `file_name` when not zipped.
    pub text_name: String,
    pub zipped: bool,
    /// In the order of the file.
    pub charges: Vec<PlannedCharge<'a>>,
    /// Net amount of the charges.
    pub amount: Amount,
}

impl PlannedFile<'_> {
    /// The number of payment lines the file sends.
    pub fn line_count(&self) -> usize {
        self.charges.iter().map(|c| c.lines.len()).sum()
    }

    /// The delivery id as written in files, reports and line records: 10 digits.
    pub fn delivery_id_text(&self) -> String {
        format!("{:010}", self.delivery_id)
    }

    /// The key the file archive knows the delivery by. A BS file's is the key of its start
    /// record ([`crate::delivery::Delivery::key`]). An LS file carries no id, so a parsed
    /// one's key is a hash of its content: sending the same LS charge again on the same day
    /// would repeat that key and clash in the archive, so a sent LS file is known by the
    /// delivery id the engine gave it.
    pub fn delivery_key(&self) -> DeliveryKey {
        let (system_code, delivery_type) = match self.scheme {
            Scheme::Bs => (self.format.system_code.clone(), "0601"),
            Scheme::Ls => ("LS".to_string(), "40"),
        };
        DeliveryKey {
            data_supplier: self.format.supplier_cvr.clone(),
            system_code,
            delivery_type: delivery_type.to_string(),
            delivery_id: self.delivery_id_text(),
            created: Some(self.created),
        }
    }
}

/// The plan: files in payment format order (none for a format with nothing to send), the
/// charges held back, and the counters after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportPlan<'a> {
    pub files: Vec<PlannedFile<'a>>,
    pub held: Vec<HeldCharge>,
    pub last_delivery_id: u64,
    pub last_charge: u64,
}

/// How the lines of one payment format are grouped into charges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum ChargeKey<'a> {
    /// A collective payment: its group id.
    Group(&'a str),
    /// A line on its own.
    Single(i64),
}

/// A line that can still be exported, with what planning decides by: 16 bytes (a million
/// of them are at the export's peak; with the format id and charge key as fields a row was
/// 72 bytes, with its entry as a reference and its amount 32).
struct Row<'a> {
    line: &'a PaymentLine,
    /// The line's entry: its position in `data.entries` ([`Row::NO_ENTRY`]: none).
    entry: u32,
    /// The line's format: its position among the run's formats in id order.
    format: u16,
    /// The line is part of a collective payment ([`merged_group`]).
    grouped: bool,
    /// Validation passed it.
    ok: bool,
}

impl<'a> Row<'a> {
    const NO_ENTRY: u32 = u32::MAX;

    fn key(&self) -> ChargeKey<'a> {
        match self.line.group.as_deref() {
            Some(group) if self.grouped => ChargeKey::Group(group),
            _ => ChargeKey::Single(self.line.id),
        }
    }

    fn entry(&self, data: &'a RunData) -> Option<&'a Entry> {
        data.entries.at(self.entry as usize)
    }

    /// What the line charges ([`amount_to_charge`]); nothing without its entry.
    fn amount(&self, data: &RunData, format: &PaymentFormat) -> Amount {
        match self.entry(data) {
            Some(entry) => amount_to_charge(self.line, entry, format),
            None => Amount::ZERO,
        }
    }
}

/// True when export sends a line in this status (given that validation passed it).
fn sendable(line: &PaymentLine, format: &PaymentFormat) -> bool {
    match line.status {
        Status::Blank | Status::Transmitting => true,
        Status::Stop => format.scheme == Scheme::Ls && !line.cancellation_sent,
        _ => false,
    }
}

/// The collective payment a line belongs to, when its group id is `<debtor>-<yyyymmdd>` of
/// its own debtor and date (the id `collect` gives; anything else is a line on its own).
fn merged_group(line: &PaymentLine) -> Option<&str> {
    let group = line.group.as_deref()?;
    is_group_id(group, &line.debtor, line.payment_date).then_some(group)
}

/// Plans an export. `passed[i]` says whether validation passed `data.lines[i]`
/// ([`crate::validate::validations`] on the same data at the same `now` gave it no failure);
/// a line without a value there did not pass. One flag a line, rather than the results
/// themselves: a million results held 32 MB while the plan's charges were built. Fails only
/// when a delivery's net amount is beyond the largest amount; a value that does not fit its
/// field is found by [`write_delivery`].
pub fn plan_export<'a>(
    data: &'a RunData,
    passed: &[bool],
    settings: &ExportSettings<'_>,
) -> crate::Result<ExportPlan<'a>> {
    // One row per line that can still be exported, sorted by format and charge key: the
    // grouping a map of maps would give, without an allocation per key. Each row carries
    // what the grouping decides by, found while walking the lines in id order (the order
    // `validate` gives its results in and the entry lookup is fastest in).
    // A line of a format the run does not know would charge nothing and is left out (the
    // foreign key of its format makes one impossible).
    let mut formats: Vec<&'a PaymentFormat> = data.formats.values().collect();
    formats.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let exportable = data
        .lines
        .iter()
        .filter(|l| can_still_be_exported(l))
        .count();
    let mut rows: Vec<Row<'a>> = Vec::with_capacity(exportable);
    // Nearly every line has the format of the line before it.
    let mut last: Option<(&str, u16)> = None;
    if formats.len() > usize::from(u16::MAX) {
        return Err(crate::Error::Unsupported(
            "a company of more than 65,535 payment formats cannot be exported".to_string(),
        ));
    }
    for (position, line) in data.lines.iter().enumerate() {
        if !can_still_be_exported(line) {
            continue;
        }
        let ok = passed.get(position).copied().unwrap_or(false);
        let format = match last {
            Some((id, at)) if id == line.format_id.as_str() => at,
            _ => {
                let Ok(at) = formats.binary_search_by(|f| f.id.as_str().cmp(&line.format_id))
                else {
                    continue;
                };
                let at = u16::try_from(at).unwrap_or(u16::MAX);
                last = Some((line.format_id.as_str(), at));
                at
            }
        };
        let entry = data
            .entries
            .position_of(&line.entry_id)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(Row::NO_ENTRY);
        rows.push(Row {
            line,
            entry,
            format,
            grouped: merged_group(line).is_some(),
            ok,
        });
    }
    // Line ids are unique, so the order is total and an unstable sort gives the same one.
    // The order of `(format, key, line id)`, compared without reading a line's group unless
    // both lines are grouped (a group sorts before a single line, single lines go by id):
    // building and comparing whole keys cost 26 million instructions more at 100,000 lines.
    rows.sort_unstable_by(|a, b| {
        a.format
            .cmp(&b.format)
            .then_with(|| match (a.grouped, b.grouped) {
                (false, false) => a.line.id.cmp(&b.line.id),
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                (true, true) => (a.key(), a.line.id).cmp(&(b.key(), b.line.id)),
            })
    });

    let mut plan = ExportPlan {
        last_delivery_id: settings.last_delivery_id,
        last_charge: settings.last_charge,
        ..ExportPlan::default()
    };
    let today = settings.now.date();
    for of_format in rows.chunk_by(|a, b| a.format == b.format) {
        let format = formats[of_format[0].format as usize];
        let format_id = format.id.as_str();
        // Room for every charge at once: a vector of half a million charges doubling as it
        // grows holds up to three times their size while it moves.
        let keys = of_format.chunk_by(|a, b| a.key() == b.key()).count();
        let mut drafts = Vec::with_capacity(keys);
        for members in of_format.chunk_by(|a, b| a.key() == b.key()) {
            let key = &members[0].key();
            let sends = |r: &Row| r.ok && sendable(r.line, format);
            let sendable_ok = members.iter().filter(|r| sends(r)).count();
            if sendable_ok == 0 {
                continue;
            }
            let hold = |plan: &mut ExportPlan, reason: String| {
                plan.held.push(HeldCharge {
                    format: format_id.to_string(),
                    lines: members.iter().map(|r| r.line.id).collect(),
                    reason,
                })
            };
            if sendable_ok < members.len() {
                let failing: Vec<String> = members
                    .iter()
                    .filter(|r| !sends(r))
                    .map(|r| r.line.id.to_string())
                    .collect();
                let group = match key {
                    ChargeKey::Group(g) => g,
                    ChargeKey::Single(_) => "-",
                };
                hold(
                    &mut plan,
                    format!(
                        "collective payment {group} is held back: line {} is not ok to export; fix it or run collect again",
                        failing.join(", ")
                    ),
                );
                continue;
            }
            match draft(data, format, members) {
                Ok(d) => drafts.push(d),
                Err(reason) => hold(&mut plan, reason),
            }
        }
        if drafts.is_empty() {
            continue;
        }
        // The charges were drafted without a reference; they are numbered in file order, in
        // place (a second vector of half a million charges would cost 80 MB at the peak).
        // A charge's first line is its own, so the order is total and an unstable sort (which
        // needs no buffer of half the charges, as a stable one does) gives the same one.
        let mut charges = drafts;
        charges.sort_unstable_by(|a, b| {
            a.payment_date
                .cmp(&b.payment_date)
                .then_with(|| a.customer_no.as_str().cmp(b.customer_no.as_str()))
                .then_with(|| a.first_line().id.cmp(&b.first_line().id))
        });
        plan.last_delivery_id += 1;
        let delivery_id = plan.last_delivery_id;
        for charge in &mut charges {
            plan.last_charge += 1;
            charge.reference = ledger::format_id!("{:09}", plan.last_charge);
        }
        let amount = Amount::checked_sum(charges.iter().map(|c| c.amount)).map_err(|_| {
            ExchangeError::Render {
                format: format_id.to_string(),
                error: RenderError {
                    line: 0,
                    record: "delivery".to_string(),
                    field: "amount".to_string(),
                    found: "a total beyond the largest amount".to_string(),
                    expected: "a smaller delivery".to_string(),
                },
            }
        })?;
        let (file_name, text_name, zipped) = file_names(format, today, delivery_id, settings.zip);
        plan.files.push(PlannedFile {
            format,
            format_id: format_id.to_string(),
            scheme: format.scheme,
            creditor: format.creditor_number.clone(),
            delivery_id,
            created: today,
            file_name,
            text_name,
            zipped,
            charges,
            amount,
        });
    }
    Ok(plan)
}

/// The file name in the out directory, the name of the delivery text, and whether it is
/// zipped (see the module documentation of [`crate::exchange`]).
pub fn file_names(
    format: &PaymentFormat,
    today: NaiveDate,
    delivery_id: u64,
    zip: bool,
) -> (String, String, bool) {
    match format.scheme {
        Scheme::Bs => {
            let base = format!(
                "AB_PBSXML000{}{}{:010}PROD",
                today.format("%Y%m"),
                format.supplier_cvr,
                delivery_id
            );
            if zip {
                (format!("{base}.zip"), base, true)
            } else {
                (base.clone(), base, false)
            }
        }
        Scheme::Ls => {
            let name = format!("NetsLS_{}_{:010}", today.format("%y%m%d"), delivery_id);
            (name.clone(), name, false)
        }
    }
}

/// Builds the charge of one group or line (its reference still empty), or says why it is
/// held.
fn draft<'a>(
    data: &'a RunData,
    format: &'a PaymentFormat,
    members: &[Row<'a>],
) -> Result<PlannedCharge<'a>, String> {
    // The rows of a key are in line id order.
    let first = members[0].line;
    let stops = members
        .iter()
        .filter(|r| r.line.status == Status::Stop)
        .count();
    if stops != 0 && stops != members.len() {
        return Err(
            "a stop line and a charge share one collective payment: run collect again".to_string(),
        );
    }
    let cancellation = stops != 0;
    let net = Amount::checked_sum(members.iter().map(|r| r.amount(data, format)))
        .map_err(|_| "the net amount is beyond the largest amount".to_string())?;
    let amount = if cancellation {
        Amount::ZERO
    } else if net.is_zero() {
        return Err("the lines net to zero: nothing to charge".to_string());
    } else {
        net
    };
    let debtor = data.debtors.get(&first.debtor);
    let mandate = chosen_mandate(data.mandates.get(&first.debtor), format, first.payment_date);
    let (customer_no, agreement_no) = match mandate {
        Some(m) => (
            m.alt_mandate_id
                .clone()
                .unwrap_or_else(|| m.mandate_id.clone()),
            m.agreement
                .clone()
                .filter(|a| a.len() == 9 && a.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or_else(|| Id::from("000000000")),
        ),
        None if format.bs_type == Some(BsType::Total) && debtor.is_some() => {
            (Id::from(first.debtor.to_uppercase()), Id::from("000000000"))
        }
        None => {
            return Err(format!(
                "debtor {} has no mandate in payment format {}",
                first.debtor, format.id
            ))
        }
    };
    check_customer_no(&customer_no)?;
    Ok(PlannedCharge {
        reference: Id::default(),
        customer_no,
        agreement_no,
        payment_date: first.payment_date,
        amount,
        cancellation,
        // A zero amount has no sign: the direction of a cancellation is that of the charge
        // it cancels, which the kind of LS record (580/585) carries.
        payout: net.is_negative(),
        lines: members
            .iter()
            .map(|r| ChargeLine {
                line: r.line,
                entry: r.entry(data),
            })
            .collect(),
    })
}

/// The mandate a charge goes out under (see the module documentation).
fn chosen_mandate<'a>(
    mandates: Option<&'a [Mandate]>,
    format: &PaymentFormat,
    date: NaiveDate,
) -> Option<&'a Mandate> {
    // Walked up to three times rather than collected: no allocation per charge.
    let of_format = || {
        mandates
            .into_iter()
            .flatten()
            .filter(|m| m.payment_format == format.id)
    };
    of_format()
        .find(|m| m.is_active_on(date))
        .or_else(|| of_format().find(|m| m.status == MandateStatus::Enrolled))
        .or_else(|| of_format().next())
}

/// A customer number the bank accepts (formats.md §1): 1 to 15 characters, no blanks, no `&`,
/// printable ISO 8859-1.
fn check_customer_no(customer_no: &str) -> Result<(), String> {
    let chars = customer_no.chars().count();
    let printable = customer_no
        .chars()
        .all(|c| (c as u32) > 0x20 && (c as u32) <= 0xFF && c != '&' && !c.is_control());
    if chars == 0 || chars > 15 || !printable {
        return Err(format!(
            "customer number '{customer_no}' cannot be sent: it must be 1 to 15 characters without blanks or '&'"
        ));
    }
    Ok(())
}

/// `text` as it fits a field of `width` characters: substituted into ISO 8859-1, control
/// characters as blanks, cut to the width (a name or a text line may be cut; an amount or a
/// customer number never is).
pub fn fit(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    fit_in_place(&mut out, width);
    out
}

/// [`fit`] done to a string in place: printable ASCII (nearly every name and text) is cut
/// and trimmed where it is, without a copy.
fn fit_in_place(text: &mut String, width: usize) {
    // Printable ASCII is its own substitution and has no control character and no `Ã` or
    // `Â`: the field is its first `width` bytes.
    if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        text.truncate(width);
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
        return;
    }
    let mut out: Vec<char> = substitute(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(width)
        .collect();
    // The reader refuses `Ã` or `Â` before U+00A0–U+00BF as UTF-8 read as ISO 8859-1.
    for i in 1..out.len() {
        if matches!(out[i - 1], '\u{C2}' | '\u{C3}') && ('\u{A0}'..='\u{BF}').contains(&out[i]) {
            out[i] = '?';
        }
    }
    *text = out.into_iter().collect::<String>().trim_end().to_string();
}

/// An amount as a Danish reader writes it: `1.234,50`, `-250,00`.
pub fn danish_amount(amount: Amount) -> String {
    let mut out = String::new();
    push_danish_amount(&mut out, amount);
    out
}

/// Appends [`danish_amount`] to `out`, without a string of its own.
fn push_danish_amount(out: &mut String, amount: Amount) {
    let ore = amount.ore().unsigned_abs();
    if amount.is_negative() {
        out.push('-');
    }
    // The digits of the kroner, last first (a u64 has at most 20).
    let mut digits = [0u8; 20];
    let mut count = 0;
    let mut rest = ore / 100;
    loop {
        // A digit, below 10: the cast cannot cut.
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // First digit first, a `.` before each group of three.
    for place in (0..count).rev() {
        out.push(char::from(digits[place]));
        if place > 0 && place % 3 == 0 {
            out.push('.');
        }
    }
    out.push(',');
    // Two digits, each below 10.
    out.push(char::from(b'0' + (ore % 100 / 10) as u8));
    out.push(char::from(b'0' + (ore % 10) as u8));
}

/// The 052 notification texts of a charge into `texts`: one line per invoice (§5: the invoice
/// numbers of a collective payment go into the notification text). The strings already in
/// `texts` are written over, so writing a file allocates no string per text.
fn notification_texts(format: &PaymentFormat, charge: &PlannedCharge<'_>, texts: &mut Vec<String>) {
    let mut count = 0;
    for &ChargeLine { line, entry } in charge.lines.iter() {
        let Some(entry) = entry else {
            continue;
        };
        let amount = amount_to_charge(line, entry, format);
        if count == texts.len() {
            texts.push(String::new());
        }
        let text = &mut texts[count];
        count += 1;
        text.clear();
        // `Faktura 123: 1.234,50 kr.`, `<entry text>: 1.234,50 kr.` or `Betaling: …`.
        match entry.invoice.as_deref().map(str::trim) {
            Some(invoice) if !invoice.is_empty() => {
                text.push_str(if amount.is_negative() {
                    "Kreditnota"
                } else {
                    "Faktura"
                });
                text.push(' ');
                text.push_str(invoice);
            }
            _ if !entry.text.trim().is_empty() => text.push_str(entry.text.trim()),
            _ => text.push_str("Betaling"),
        }
        text.push_str(": ");
        push_danish_amount(text, amount);
        text.push_str(" kr.");
        fit_in_place(text, 60);
    }
    texts.truncate(count);
    if texts.len() > MAX_TEXT_LINES {
        let more = texts.len() - (MAX_TEXT_LINES - 1);
        texts.truncate(MAX_TEXT_LINES - 1);
        texts.push(format!("og {more} fakturaer mere"));
    }
}

/// Name, address, postcode/country and CPR/CVR records of a BS Total debtor.
fn name_and_address(payment: &mut Bs0601Payment, debtor: &Debtor) {
    let foreign = !debtor.country.trim().is_empty() && !debtor.country.eq_ignore_ascii_case("DK");
    let mut lines = vec![fit(&debtor.name, 35)];
    if !debtor.address.trim().is_empty() {
        lines.push(fit(&debtor.address, 35));
    }
    if foreign {
        // BS builds the city line from a Danish postcode only; abroad it is an address line.
        let city = format!("{} {}", debtor.postcode.trim(), debtor.city.trim());
        if !city.trim().is_empty() {
            lines.push(fit(city.trim(), 35));
        }
        payment.postcode = Some("0000".to_string());
        payment.country = Some(fit(&debtor.country.to_uppercase(), 2));
    } else if !debtor.postcode.trim().is_empty() {
        payment.postcode = Some(fit(debtor.postcode.trim(), 4));
    }
    lines.retain(|l| !l.is_empty());
    lines.truncate(5);
    payment.name_address = lines;
    payment.cpr_cvr = debtor
        .tax_id
        .as_ref()
        .map(|tax_id| format!("{:0>10}", tax_id.digits()));
}

/// Writes the delivery text of a planned file (ISO 8859-1 characters, CR LF), handing it to
/// `out` in pieces of whole records of about `TEXT_PIECE` (1 MiB) bytes, so that the text of a
/// million charges is never held whole. Fails when a value does not fit its field (nothing
/// is sent then: the caller discards what it was given) or when `out` fails.
pub fn write_delivery(
    data: &RunData,
    settings: &ExportSettings<'_>,
    file: &PlannedFile<'_>,
    out: &mut dyn FnMut(&str) -> crate::Result<()>,
) -> crate::Result<()> {
    match file.scheme {
        Scheme::Bs => write_bs(data, settings, file, out),
        Scheme::Ls => write_ls(file, out),
    }
}

/// A value of the file that does not fit its field.
fn render_error(file: &PlannedFile<'_>, error: RenderError) -> crate::Error {
    ExchangeError::Render {
        format: file.format_id.clone(),
        error,
    }
    .into()
}

/// The BS 0601 text of a planned file: one section 0112; per charge its 022 name and address
/// records (BS Total), its 042 payment record and its 052 texts.
fn write_bs(
    data: &RunData,
    settings: &ExportSettings<'_>,
    file: &PlannedFile<'_>,
    out: &mut dyn FnMut(&str) -> crate::Result<()>,
) -> crate::Result<()> {
    let format = file.format;
    let today = file.created;
    let total = format.bs_type == Some(BsType::Total);
    let start = Bs0601Delivery {
        data_supplier_cvr: format.supplier_cvr.clone(),
        system_code: format.system_code.clone(),
        delivery_id: file.delivery_id,
        created: Some(today),
        sections: Vec::new(),
    };
    let section = Bs0601Section {
        section: Bs0601SectionCode::Payments,
        creditor_pbs: format.creditor_number.clone(),
        debtor_group: format.debtor_group.clone(),
        data_supplier_ident: String::new(),
        date: Some(today),
        reg_no: String::new(),
        account_no: String::new(),
        main_text: fit(settings.company_name, 60),
        payments: Vec::new(),
    };
    let mut w = Bs0601Writer::start(&start).map_err(|e| render_error(file, e))?;
    w.section(&section).map_err(|e| render_error(file, e))?;
    // One payment, its strings and lists written over from charge to charge: new ones for
    // every charge were most of the cost of writing the file.
    let mut payment = Bs0601Payment {
        customer_no: String::new(),
        agreement_no: String::new(),
        payment_date: today,
        amount: Amount::ZERO,
        reference: String::new(),
        name_address: Vec::new(),
        postcode: None,
        country: None,
        cpr_cvr: None,
        texts: Vec::new(),
    };
    for charge in &file.charges {
        set_text(&mut payment.customer_no, &charge.customer_no);
        set_text(&mut payment.agreement_no, &charge.agreement_no);
        payment.payment_date = charge.payment_date;
        payment.amount = charge.amount;
        set_text(&mut payment.reference, &charge.reference);
        notification_texts(format, charge, &mut payment.texts);
        payment.name_address.clear();
        payment.postcode = None;
        payment.country = None;
        payment.cpr_cvr = None;
        if let (true, Some(debtor)) = (total, data.debtors.get(charge.debtor())) {
            name_and_address(&mut payment, debtor);
        }
        w.payment(&payment).map_err(|e| render_error(file, e))?;
        if w.pending() >= TEXT_PIECE {
            out(&w.take_text())?;
        }
    }
    out(&w.finish().map_err(|e| render_error(file, e))?)
}

/// Makes `target` a copy of `value`, in the space it already has.
fn set_text(target: &mut String, value: &str) {
    target.clear();
    target.push_str(value);
}

/// The LS type 40 text of a planned file: one `001` per payment date with its `580`
/// collections and `585` payouts (a cancellation is one of amount 0).
fn write_ls(
    file: &PlannedFile<'_>,
    out: &mut dyn FnMut(&str) -> crate::Result<()>,
) -> crate::Result<()> {
    let format = file.format;
    let start = Ls40Delivery {
        data_supplier_cvr: format.supplier_cvr.clone(),
        created: file.created,
        test: false,
        creditor_no: format.creditor_number.clone(),
        groups: Vec::new(),
    };
    let mut w = Ls40Writer::start(&start).map_err(|e| render_error(file, e))?;
    let mut date = None;
    for charge in &file.charges {
        if date != Some(charge.payment_date) {
            date = Some(charge.payment_date);
            w.group(date).map_err(|e| render_error(file, e))?;
        }
        let kind = if charge.payout {
            Ls40PaymentKind::Payout
        } else {
            Ls40PaymentKind::Collection
        };
        let record = Ls40Record::Payment(Ls40Payment {
            kind,
            customer_no: charge.customer_no.to_string(),
            amount: charge.amount.checked_abs().unwrap_or(Amount::ZERO),
        });
        w.record(&record).map_err(|e| render_error(file, e))?;
        if w.pending() >= TEXT_PIECE {
            out(&w.take_text())?;
        }
    }
    out(&w.finish().map_err(|e| render_error(file, e))?)
}
