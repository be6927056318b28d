//! What the engine reports about payment lines and collective payments, in the shapes of
//! `cli.md`. The same values serve a Rust host and `--json`, so both see one contract.

use crate::charge::amount_to_charge;
use crate::model::{PaymentFormat, PaymentLine, RunData, StatusChange};
use crate::suggest::NewLine;
use crate::validate::{Codes, Revalidation};
use bankcal::Calendar;
use chrono::{NaiveDate, NaiveDateTime};
use ledger::Id;
use ledger::{Amount, Entry};
use serde::{Serialize, Serializer};
use std::collections::HashMap;

/// One payment line as a bookkeeper or a host sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineView {
    pub line: i64,
    pub entry: Id,
    pub debtor: Id,
    /// The payment format's id.
    pub format: Id,
    pub payment_date: NaiveDate,
    /// The amount to charge (negative: a payout).
    pub amount: Amount,
    /// The status id (`blank`, `sent`, …).
    pub status: &'static str,
    pub group: Option<Id>,
    pub reference: Option<Id>,
    /// Validated and nothing failed.
    pub ok: bool,
    /// Whether the line has been validated at all.
    pub validated: bool,
    pub errors: Vec<ErrorView>,
    pub invoice: Option<Id>,
    pub due_date: NaiveDate,
    pub partial_payment: Option<Amount>,
    pub date_sent: Option<NaiveDate>,
    pub delivery_id: Option<Id>,
}

/// One failing rule of a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorView {
    pub code: &'static str,
    pub message: String,
}

impl LineView {
    /// The view of `line`, whose entry is `entry`; `format` gives the charging principle
    /// (without it, the partial payment or the entry's amount is shown).
    pub fn new(line: &PaymentLine, entry: &Entry, format: Option<&PaymentFormat>) -> LineView {
        let amount = match format {
            Some(format) => amount_to_charge(line, entry, format),
            None => line.partial_payment.unwrap_or(entry.amount),
        };
        let errors: Vec<ErrorView> = line
            .errors
            .iter()
            .flatten()
            .map(|e| ErrorView {
                code: e.code,
                message: e.message.clone(),
            })
            .collect();
        LineView {
            line: line.id,
            entry: line.entry_id.clone(),
            debtor: line.debtor.clone(),
            format: line.format_id.clone(),
            payment_date: line.payment_date,
            amount,
            status: line.status.as_str(),
            group: line.group.clone(),
            reference: line.reference.clone(),
            ok: line.is_ok(),
            validated: line.errors.is_some(),
            errors,
            invoice: entry.invoice.clone(),
            due_date: entry.due_date,
            partial_payment: line.partial_payment,
            date_sent: line.date_sent,
            delivery_id: line.delivery_id.clone(),
        }
    }

    /// Views of many lines, looking formats up by id.
    pub fn many<'a>(
        lines: impl IntoIterator<Item = (&'a PaymentLine, &'a Entry)>,
        formats: &HashMap<Id, PaymentFormat>,
    ) -> Vec<LineView> {
        lines
            .into_iter()
            .map(|(line, entry)| LineView::new(line, entry, formats.get(line.format_id.as_str())))
            .collect()
    }
}

/// Views of some lines of a [`RunData`], built one at a time when iterated or serialised.
///
/// A step's report of a million lines would hold a million [`LineView`]s (hundreds of
/// megabytes) beside the run data they are made of; this holds the run data and the positions
/// of the lines instead. It serialises as the JSON array of the views, in the order given.
#[derive(Debug, Clone, Default)]
pub struct LineViews {
    data: RunData,
    lines: Chosen,
}

/// Which lines a [`LineViews`] shows.
#[derive(Debug, Clone)]
enum Chosen {
    /// Lines just created from suggestions, and their ids (in the same order): a suggestion
    /// is a third of a payment line's size, and a million new lines are kept only to be shown.
    New(Vec<i64>, Vec<NewLine>),
    /// `data.lines[p]` for each position, just validated with this calendar at this time,
    /// with the codes of the rules it failed; the messages are made again when it is shown.
    Validated {
        lines: Vec<(u32, Codes)>,
        calendar: Calendar,
        now: NaiveDateTime,
    },
}

impl Default for Chosen {
    fn default() -> Chosen {
        Chosen::New(Vec::new(), Vec::new())
    }
}

impl LineViews {
    /// The views of `data.lines[p]` for each `(p, codes)` of `lines`, which were validated
    /// with `calendar` at `now` and failed the rules of `codes` (the lines' own `errors` are
    /// not read): a failed line's messages are made again, by the same pure validation, when
    /// it is shown, so a view's messages are the ones validation stored. A million clashing
    /// lines' messages held 160 MB. Lines whose entry is not in `data` are left out.
    pub fn validated(
        data: RunData,
        mut lines: Vec<(u32, Codes)>,
        calendar: &Calendar,
        now: NaiveDateTime,
    ) -> LineViews {
        lines.retain(|&(p, _)| {
            data.lines
                .get(p as usize)
                .is_some_and(|line| data.entries.contains_key(&line.entry_id))
        });
        LineViews {
            data,
            lines: Chosen::Validated {
                lines,
                calendar: calendar.clone(),
                now,
            },
        }
    }

    /// The views of new lines (blank, as `suggest` creates them) with the ids the store gave
    /// them, in that order; `data` gives their entries and formats (its own lines are not
    /// shown). Lines whose entry is not in `data` are left out.
    pub fn of_new_lines(data: RunData, mut ids: Vec<i64>, mut lines: Vec<NewLine>) -> LineViews {
        ids.truncate(lines.len());
        lines.truncate(ids.len());
        if lines
            .iter()
            .any(|line| !data.entries.contains_key(&line.entry_id))
        {
            let (kept_ids, kept): (Vec<i64>, Vec<NewLine>) = ids
                .into_iter()
                .zip(lines)
                .filter(|(_, line)| data.entries.contains_key(&line.entry_id))
                .unzip();
            (ids, lines) = (kept_ids, kept);
        }
        LineViews {
            data,
            lines: Chosen::New(ids, lines),
        }
    }

    pub fn len(&self) -> usize {
        match &self.lines {
            Chosen::Validated { lines, .. } => lines.len(),
            Chosen::New(_, lines) => lines.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The view of the `i`-th line. For a report of `validate` with failed lines this builds
    /// the run's validation index again to write the messages (linear in the run's lines):
    /// to see many lines, use [`LineViews::iter`], which builds it once.
    pub fn get(&self, i: usize) -> Option<LineView> {
        self.view(i, &mut None)
    }

    /// The views, in order, each built when it is reached.
    pub fn iter(&self) -> impl Iterator<Item = LineView> + '_ {
        let mut revalidation = None;
        (0..self.len()).filter_map(move |i| self.view(i, &mut revalidation))
    }

    /// The view of the `i`-th line; `revalidation` is built when a validated line with
    /// failures is first shown, and kept for the next.
    fn view<'a>(
        &'a self,
        i: usize,
        revalidation: &mut Option<Revalidation<'a>>,
    ) -> Option<LineView> {
        let view = |line: &PaymentLine| {
            let entry = &self.data.entries[line.entry_id.as_str()];
            LineView::new(line, entry, self.data.formats.get(line.format_id.as_str()))
        };
        match &self.lines {
            Chosen::New(ids, lines) => Some(view(&lines.get(i)?.clone().into_line(ids[i]))),
            Chosen::Validated {
                lines,
                calendar,
                now,
            } => {
                let (position, codes) = *lines.get(i)?;
                let position = position as usize;
                let mut view = view(&self.data.lines[position]);
                view.validated = true;
                view.ok = codes.is_empty();
                if !view.ok {
                    let revalidation = revalidation
                        .get_or_insert_with(|| Revalidation::new(&self.data, calendar, *now));
                    view.errors = revalidation
                        .errors(position)
                        .into_iter()
                        .map(|e| ErrorView {
                            code: e.code,
                            message: e.message,
                        })
                        .collect();
                }
                Some(view)
            }
        }
    }

    /// Every view at once (for small reports).
    pub fn to_vec(&self) -> Vec<LineView> {
        self.iter().collect()
    }

    /// How many of the lines fail each rule, by code, without building their views.
    pub fn failure_counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut counts = std::collections::BTreeMap::new();
        match &self.lines {
            Chosen::Validated { lines, .. } => {
                for code in lines.iter().flat_map(|(_, codes)| codes.iter()) {
                    *counts.entry(code).or_default() += 1;
                }
            }
            // New lines are not validated yet.
            Chosen::New(..) => {}
        }
        counts
    }
}

impl PartialEq for LineViews {
    fn eq(&self, other: &LineViews) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for LineViews {}

impl Serialize for LineViews {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// One collective payment (or the pseudo-groups `-` and `Deselected`) after `collect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupView {
    pub id: Id,
    pub format: Id,
    pub debtor: Option<Id>,
    pub payment_date: Option<NaiveDate>,
    /// The net amount charged for the group (for `-` and `Deselected`: the sum of the lines).
    pub amount: Amount,
    pub lines: Vec<i64>,
    /// Why lines were deselected (`collective-net-zero`, failing rule codes…), if any.
    pub codes: Vec<&'static str>,
}

/// One entry of a line's status log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChangeView {
    /// Danish local time, `YYYY-MM-DDTHH:MM`.
    pub at: String,
    pub old: Option<&'static str>,
    pub new: &'static str,
    pub cause: String,
}

impl From<&StatusChange> for StatusChangeView {
    fn from(change: &StatusChange) -> StatusChangeView {
        StatusChangeView {
            at: change.at.format("%Y-%m-%dT%H:%M").to_string(),
            old: change.old.map(|s| s.as_str()),
            new: change.new.as_str(),
            cause: change.cause.clone(),
        }
    }
}
