//! The payment-run steps on an [`Engine`]: suggest, validate, collect, manual status changes,
//! the queries and reminders.
//!
//! Each step is the same three moves: read the company's [`RunData`]
//! from the store, run the pure core function over it with the calendar and the clock, and
//! write the result back — all in one `IMMEDIATE` transaction ([`Store::atomically`]), so two
//! bookkeepers pressing the same button at once cannot both apply it.

use crate::api::Engine;
use crate::collect;
use crate::error::{Error, Result};
use crate::model::{PaymentLine, RunData, Scheme, Status, GROUP_DESELECTED};
use crate::status::{manual_change, ManualTarget, Refusal};
use crate::store::{LineFilter, Store};
use crate::suggest;
use crate::validate;
use crate::validate::Codes;
use crate::view::{GroupView, LineView, LineViews, StatusChangeView};
use bankcal::Calendar;
use chrono::{NaiveDate, NaiveDateTime};
use ledger::Amount;
use ledger::Id;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What `suggest` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestReport {
    /// The new lines.
    pub created: LineViews,
    /// Lines of settled entries that were never sent, now deleted.
    pub removed: Vec<i64>,
}

/// What `validate` found: every line that can still be exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    pub lines: LineViews,
    pub ok_count: usize,
    pub failed_count: usize,
}

/// What `collect` grouped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectReport {
    pub groups: Vec<GroupView>,
    /// How many records export will send.
    pub charges: usize,
    /// How many lines were left out (group `Deselected`).
    pub deselected: usize,
}

/// One line with its whole status log (`show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineDetail {
    #[serde(flatten)]
    pub line: LineView,
    pub comment: String,
    pub log: Vec<StatusChangeView>,
}

/// One line whose debtor must be notified before the payment date (`reminders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub line: i64,
    pub debtor: Id,
    pub name: String,
    pub email: String,
    pub payment_date: NaiveDate,
    /// The last day to notify the debtor: `days` banking days before the payment date.
    pub notify_by: NaiveDate,
    pub amount: Amount,
    pub invoice: Option<Id>,
    pub text: String,
}

/// A manual status change that was refused, with the line it concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedChange {
    pub line: i64,
    pub refusal: Refusal,
}

impl Engine {
    /// Proposes a payment line for every open entry of a debtor with a BS or LS payment
    /// format that has no line yet, and deletes the unsent lines of settled entries
    /// (`domain.md` §3). Running it twice creates nothing new.
    pub fn suggest(
        &mut self,
        calendar: &Calendar,
        now: NaiveDateTime,
        earliest: bool,
    ) -> Result<SuggestReport> {
        let (store, company) = self.parts();
        store.with_core_cache(|store| {
            store.atomically(|store| {
                let mut data = store.load_run_data_for_step(company)?;
                let plan = suggest::suggest(&data, calendar, now, earliest);
                if !plan.remove.is_empty() {
                    store.delete_unsent_lines(company, &plan.remove)?;
                }
                let ids =
                    store.insert_lines_of_run(company, &plan.new_lines, &data, now, "suggest")?;
                // The report shows the new lines, made into views as they are printed; the run
                // data's own lines are not needed for it.
                data.lines = Vec::new();
                Ok(SuggestReport {
                    created: LineViews::of_new_lines(data, ids, plan.new_lines),
                    removed: plan.remove,
                })
            })
        })
    }

    /// Runs every rule on every line that can still be exported, stores the result in each
    /// line's system info and reports it (`domain.md` §4).
    pub fn validate(
        &mut self,
        calendar: &Calendar,
        now: NaiveDateTime,
    ) -> Result<ValidationReport> {
        let (store, company) = self.parts();
        store.with_core_cache(|store| {
            store.atomically(|store| {
                let data = store.load_run_data_for_step(company)?;
                let validated = validate_and_save(store, company, &data, calendar, now)?;
                Ok(ValidationReport {
                    ok_count: validated.lines.len() - validated.failed,
                    failed_count: validated.failed,
                    lines: LineViews::validated(data, validated.lines, calendar, now),
                })
            })
        })
    }

    /// Groups the unsent lines into collective payments per debtor, payment date and format
    /// (`domain.md` §5), then validates again so each line's system info reflects its group.
    pub fn collect(&mut self, calendar: &Calendar, now: NaiveDateTime) -> Result<CollectReport> {
        let (store, company) = self.parts();
        store.with_core_cache(|store| {
            store.atomically(|store| {
                let mut data = store.load_run_data_for_step(company)?;
                // Validate on the lines as they are, without stale groups, so a group is formed
                // only from lines that pass on their own.
                let ungrouped = collect::collect_off(&data);
                for line in data.lines.iter_mut() {
                    if ungrouped.binary_search(&line.id).is_ok() {
                        line.group = None;
                    }
                }
                let validations = validate::validate_code_sets(&data, calendar, now);
                let mut plan = collect::plan_by_codes(&data, &validations);
                drop(validations);
                // Every line whose old group was dissolved gets its new group, or none. Both
                // lists are in line id order, as `data.lines` is, so one walk pairs them, and each
                // new group id moves onto its line.
                let mut assigned = std::mem::take(&mut plan.assignments).into_iter().peekable();
                let mut changed: Vec<usize> = Vec::new();
                for (position, line) in data.lines.iter_mut().enumerate() {
                    let mut new_group = None;
                    while let Some((_, group)) = assigned.next_if(|(id, _)| *id == line.id) {
                        new_group = Some(group);
                    }
                    if new_group.is_some() {
                        line.group = new_group;
                        changed.push(position);
                    } else if ungrouped.binary_search(&line.id).is_ok() {
                        changed.push(position);
                    }
                }
                if let Some((line, _)) = assigned.next() {
                    return Err(Error::UnknownLine(line));
                }
                // The assignments (24 bytes a line) are not kept while the lines are validated
                // again and written: that is collect's peak.
                drop(assigned);
                // Every line whose group changed is one validation looks at (both are the lines
                // that can still be exported), so one write per line stores both. Each result
                // is stored as it is made and not kept: the report shows groups, not lines.
                debug_assert!(changed
                    .iter()
                    .all(|&p| validate::can_still_be_exported(&data.lines[p])));
                drop(changed);
                store.save_groups_and_validations_in_order(
                    company,
                    validate::validations(&data, calendar, now).map(|(p, errors)| {
                        let line = &data.lines[p];
                        (line.id, line.group.as_deref(), errors)
                    }),
                )?;
                // The groups are written out once the lines are stored and their second
                // validation is gone, from the lines alone: the rest of the run goes first.
                let charges = plan.charges();
                let lines = std::mem::take(&mut data.lines);
                drop(data);
                let summaries = plan.groups(&lines);
                drop(lines);
                let groups: Vec<GroupView> = summaries
                    .into_iter()
                    .map(|g| GroupView {
                        id: g.id,
                        format: g.format_id,
                        debtor: Some(g.debtor),
                        payment_date: Some(g.payment_date),
                        amount: g.amount,
                        lines: g.lines,
                        codes: g.codes,
                    })
                    .collect();
                Ok(CollectReport {
                    charges,
                    deselected: groups
                        .iter()
                        .filter(|g| g.id == GROUP_DESELECTED)
                        .map(|g| g.lines.len())
                        .sum(),
                    groups,
                })
            })
        })
    }

    /// Dissolves every collective payment of the unsent lines again; returns the lines whose
    /// group was cleared.
    pub fn collect_off(&mut self) -> Result<Vec<i64>> {
        let (store, company) = self.parts();
        store.atomically(|store| {
            let data = store.load_run_data_for_step(company)?;
            let lines = collect::collect_off(&data);
            let cleared: Vec<(i64, Option<String>)> = lines.iter().map(|&l| (l, None)).collect();
            store.save_groups(company, &cleared)?;
            Ok(lines)
        })
    }

    /// Changes the status of `lines` by hand (`domain.md` §6). Every change is checked against
    /// the status machine first; if any is refused, nothing changes and
    /// [`Error::StatusRefused`] lists every refusal.
    pub fn set_status(
        &mut self,
        lines: &[i64],
        target: ManualTarget,
        force: bool,
        now: NaiveDateTime,
    ) -> Result<Vec<LineView>> {
        let (store, company) = self.parts();
        store.atomically(|store| {
            let formats: HashMap<Id, Scheme> = store
                .formats(company)?
                .into_iter()
                .map(|f| (f.id, f.scheme))
                .collect();
            let mut changes = Vec::new();
            let mut refused = Vec::new();
            // Each line as read once, for the checks below.
            let mut read: HashMap<i64, PaymentLine> = HashMap::new();
            for &id in lines {
                let (line, _, _) = store.line(company, id)?;
                let scheme = formats
                    .get(&line.format_id)
                    .copied()
                    .ok_or_else(|| Error::UnknownFormat(line.format_id.to_string()))?;
                match manual_change(line.status, target, scheme, force) {
                    Ok(new) => changes.push((id, line.status, new)),
                    Err(refusal) => refused.push(RefusedChange { line: id, refusal }),
                }
                read.insert(id, line);
            }
            // A stop is sent as the cancellation of the charge the line went in, and
            // Mastercard cancels a charge whole: the other lines still sent in a collective
            // charge are stopped in the same request, or none is (one stopped alone could
            // never be exported: it clashes with its own charge's sent lines).
            let stopping: HashSet<i64> = changes
                .iter()
                .filter(|&&(_, _, new)| new == Status::Stop)
                .map(|&(id, _, _)| id)
                .collect();
            for &(id, _, new) in &changes {
                if new != Status::Stop {
                    continue;
                }
                let line = &read[&id];
                let Some(reference) = line.reference.as_deref() else {
                    continue;
                };
                let filter = LineFilter {
                    reference: Some(reference.to_string()),
                    ..LineFilter::default()
                };
                let mut charge: Vec<i64> = store
                    .list_lines(company, &filter)?
                    .into_iter()
                    .map(|(other, _)| other)
                    .filter(|other| other.format_id == line.format_id)
                    .filter(|other| other.status == Status::Sent || other.id == id)
                    .map(|other| other.id)
                    .collect();
                charge.sort_unstable();
                if charge.iter().any(|other| !stopping.contains(other)) {
                    refused.push(RefusedChange {
                        line: id,
                        refusal: Refusal::ChargeNotWhole { line: id, charge },
                    });
                }
            }
            // I8: a change that makes a line live is refused while its entry is on another
            // live line (a rejected line resent after `suggest` proposed a new one), counting
            // the other changes of this same request.
            let new_status: HashMap<i64, crate::model::Status> =
                changes.iter().map(|&(id, _, new)| (id, new)).collect();
            for &(id, old, new) in &changes {
                let line = &read[&id];
                let live = |line: &PaymentLine, status| {
                    let probe = PaymentLine {
                        status,
                        ..line.clone()
                    };
                    validate::liveness(&probe) != validate::Liveness::NotLive
                };
                if live(line, old) || !live(line, new) {
                    continue;
                }
                let other = store
                    .lines_of_entry(company, &line.entry_id)?
                    .into_iter()
                    .filter(|other| other.id != id)
                    .find(|other| {
                        live(
                            other,
                            new_status.get(&other.id).copied().unwrap_or(other.status),
                        )
                    });
                if let Some(other) = other {
                    refused.push(RefusedChange {
                        line: id,
                        refusal: Refusal::EntryOnOtherLine { other: other.id },
                    });
                }
            }
            if !refused.is_empty() {
                return Err(Error::StatusRefused(refused));
            }
            store.change_status(company, &changes, now, "manual")?;
            let formats = formats_by_id(store, company)?;
            lines
                .iter()
                .map(|&id| {
                    let (line, entry, _) = store.line(company, id)?;
                    Ok(LineView::new(&line, &entry, formats.get(&line.format_id)))
                })
                .collect()
        })
    }

    /// Sets a line's partial payment, the amount to charge instead of its entry's amount
    /// (`domain.md` §3: "Amount to charge"), or clears it (`None`). Only a line not sent yet
    /// may get one (blank or waiting), and the amount must fit the entry: not zero, the sign of
    /// the entry's amount, and no more than what remains (the `partial-payment-invalid` rule,
    /// which validate and export check again, as the entry may change meanwhile). Refused with
    /// [`Error::PartialPaymentRefused`], nothing changed. Validate the line again before the
    /// export to see its result.
    pub fn set_partial_payment(&mut self, line: i64, partial: Option<Amount>) -> Result<LineView> {
        let (store, company) = self.parts();
        store.atomically(|store| {
            let (current, entry, _) = store.line(company, line)?;
            let refused = |reason: String| Error::PartialPaymentRefused { line, reason };
            if !matches!(current.status, Status::Blank | Status::Waiting) {
                return Err(refused(format!(
                    "it is {}: a partial payment is set only on a line not sent yet (blank or waiting)",
                    current.status.as_str()
                )));
            }
            if partial.is_some_and(|amount| amount.is_zero()) {
                return Err(refused(
                    "a partial payment of 0.00 charges nothing: give an amount, or set the line to waiting"
                        .to_string(),
                ));
            }
            let probe = PaymentLine {
                partial_payment: partial,
                ..current
            };
            if let Some(problem) = crate::charge::partial_payment_problem(&probe, &entry) {
                return Err(refused(problem));
            }
            store.set_partial_payment(company, line, partial)?;
            tracing::info!(
                company = company.id(),
                line,
                partial = %partial.map_or("none".to_string(), |a| a.to_string()),
                "partial payment set"
            );
            let formats = formats_by_id(store, company)?;
            Ok(LineView::new(&probe, &entry, formats.get(&probe.format_id)))
        })
    }

    /// Sets a line's payment date by hand (the seed's payment date is a field a person may
    /// write): for instance a rejected line set back to blank, whose date has passed. Only a
    /// line not sent yet may be moved (blank or waiting, as for a partial payment). The line
    /// leaves its collective payment, whose id names the old date: `collect` groups it again.
    /// Whether the new date is a banking day, meets its deadline and lies within the horizon
    /// is validation's to say, as for every line. Refused with
    /// [`Error::PaymentDateRefused`], nothing changed.
    pub fn set_payment_date(&mut self, line: i64, date: NaiveDate) -> Result<LineView> {
        let (store, company) = self.parts();
        store.atomically(|store| {
            let (current, entry, _) = store.line(company, line)?;
            if !matches!(current.status, Status::Blank | Status::Waiting) {
                return Err(Error::PaymentDateRefused {
                    line,
                    reason: format!(
                        "it is {}: a payment date is set only on a line not sent yet (blank or waiting)",
                        current.status.as_str()
                    ),
                });
            }
            store.set_payment_date(company, line, date)?;
            tracing::info!(
                company = company.id(),
                line,
                from = %current.payment_date,
                to = %date,
                "payment date set"
            );
            let moved = PaymentLine {
                payment_date: date,
                group: None,
                ..current
            };
            let formats = formats_by_id(store, company)?;
            Ok(LineView::new(&moved, &entry, formats.get(&moved.format_id)))
        })
    }

    /// The lines that match `filter`, by line id.
    pub fn list(&mut self, filter: &LineFilter) -> Result<Vec<LineView>> {
        let (store, company) = self.parts();
        let formats = formats_by_id(store, company)?;
        let lines = store.list_lines(company, filter)?;
        Ok(LineView::many(lines.iter().map(|(l, e)| (l, e)), &formats))
    }

    /// One line with its whole status log.
    pub fn show(&mut self, line: i64) -> Result<LineDetail> {
        let (store, company) = self.parts();
        let formats = formats_by_id(store, company)?;
        let (line, entry, log) = store.line(company, line)?;
        Ok(LineDetail {
            line: LineView::new(&line, &entry, formats.get(&line.format_id)),
            comment: line.comment.to_string(),
            log: log.iter().map(StatusChangeView::from).collect(),
        })
    }

    /// The lines whose debtors must be notified now (`domain.md` §10): Leverandørservice
    /// lines that will be charged (sent or to-be-treated, or blank/transmitting and `ok` at
    /// the last validation and not deselected), whose payment
    /// date is today or later and whose notice date — `days` banking days before the
    /// payment date — is today or has passed. Betalingsservice needs no notice (BS sends the
    /// debtor its own overview). Sorted by notice date, then line.
    pub fn reminders(
        &mut self,
        calendar: &Calendar,
        now: NaiveDateTime,
        days: u32,
    ) -> Result<Vec<Reminder>> {
        let today = now.date();
        let days = i32::try_from(days)
            .map_err(|_| Error::Unsupported(format!("--days {days} is too large")))?;
        let (store, company) = self.parts();
        let data = store.load_run_data(company)?;
        let mut reminders = Vec::new();
        for line in &data.lines {
            // Only lines that will be charged: sent ones, or unsent ones that passed their
            // last validation and were not set aside by `collect`. A debtor told of a
            // charge that never comes is worse than no notice.
            let charged = match line.status {
                Status::Sent | Status::ToBeTreated => true,
                Status::Blank | Status::Transmitting => {
                    line.is_ok() && line.group.as_deref() != Some(GROUP_DESELECTED)
                }
                _ => false,
            };
            let Some(format) = data.formats.get(&line.format_id) else {
                continue;
            };
            if !charged || format.scheme != Scheme::Ls || line.payment_date < today {
                continue;
            }
            let notify_by = calendar
                .add_banking_days(line.payment_date, -days)
                .map_err(|e| Error::Unsupported(e.to_string()))?;
            if notify_by > today {
                continue;
            }
            let (Some(entry), Some(debtor)) = (
                data.entries.get(&line.entry_id),
                data.debtors.get(&line.debtor),
            ) else {
                continue;
            };
            reminders.push(Reminder {
                line: line.id,
                debtor: debtor.account.clone(),
                name: debtor.name.to_string(),
                email: debtor.email.to_string(),
                payment_date: line.payment_date,
                notify_by,
                amount: crate::charge::amount_to_charge(line, entry, format),
                invoice: entry.invoice.clone(),
                text: entry.text.to_string(),
            });
        }
        reminders.sort_by_key(|r| (r.notify_by, r.line));
        Ok(reminders)
    }
}

/// What [`validate_and_save`] found.
struct Validated {
    /// The position in `data.lines` of each validated line, ascending, with the codes of the
    /// rules it fails.
    lines: Vec<(u32, Codes)>,
    /// How many of them failed.
    failed: usize,
}

/// Validates `data` and stores each line's result as it is made. Only the codes are kept,
/// four bytes a line: the report makes a failed line's messages again when it shows the line
/// ([`LineViews::validated`]). At a million lines, 760,000 of them clashing on a date, the
/// messages held 160 MB and the failures as vectors 45 MB more.
fn validate_and_save(
    store: &mut Store,
    company: &crate::store::CompanyKey,
    data: &RunData,
    calendar: &Calendar,
    now: NaiveDateTime,
) -> Result<Validated> {
    let exportable = data
        .lines
        .iter()
        .filter(|l| validate::can_still_be_exported(l))
        .count();
    let mut validated = Validated {
        lines: Vec::with_capacity(exportable),
        failed: 0,
    };
    let results = validate::validations(data, calendar, now).map(|(position, errors)| {
        let codes = Codes::of(&errors);
        if !codes.is_empty() {
            validated.failed += 1;
        }
        let position = u32::try_from(position).expect("fewer than 2^32 lines");
        validated.lines.push((position, codes));
        (&data.lines[position as usize], errors)
    });
    store.save_validations_in_order(company, results)?;
    Ok(validated)
}

fn formats_by_id(
    store: &Store,
    company: &crate::store::CompanyKey,
) -> Result<HashMap<Id, crate::model::PaymentFormat>> {
    Ok(store
        .formats(company)?
        .into_iter()
        .map(|f| (f.id.clone(), f))
        .collect())
}
