//! The status machine of a payment line (`domain.md` §6), written once, as data.
//!
//! Two kinds of change move a line between statuses:
//!
//! - **manual** (`payrun status set --to blank|resend|waiting|stop`): [`manual_change`] looks the
//!   pair up in [`MANUAL_CHANGES`], a constant copy of the §6 table, and answers with the new
//!   status or a [`Refusal`] that has a stable code and a message for a person;
//! - **automatic** (export, the LS 0690 receipt, 0602 payment information, an error or comment
//!   from Mastercard): [`automatic_change`] looks the event up in [`AUTOMATIC_CHANGES`]. An event
//!   that is not an edge from the line's status gives `None`, and the caller changes nothing:
//!   that is how a return record sent twice changes a line at most once (I5), and why every
//!   change is an allowed edge (I6).
//!
//! Nothing here logs or stores: the caller appends the status-log entry with the cause.

use crate::model::{Scheme, Status};
use std::fmt;

/// What a person may ask a line to become. "Resend" sets the line to transmitting, so that the
/// next export sends it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManualTarget {
    Blank,
    Resend,
    Waiting,
    Stop,
}

impl ManualTarget {
    pub const ALL: [ManualTarget; 4] = [
        ManualTarget::Blank,
        ManualTarget::Resend,
        ManualTarget::Waiting,
        ManualTarget::Stop,
    ];

    /// The command-line word (`--to blank|resend|waiting|stop`).
    pub fn as_str(self) -> &'static str {
        match self {
            ManualTarget::Blank => "blank",
            ManualTarget::Resend => "resend",
            ManualTarget::Waiting => "waiting",
            ManualTarget::Stop => "stop",
        }
    }

    pub fn parse(text: &str) -> Option<ManualTarget> {
        ManualTarget::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The status the line gets when the change is allowed.
    pub fn status(self) -> Status {
        match self {
            ManualTarget::Blank => Status::Blank,
            ManualTarget::Resend => Status::Transmitting,
            ManualTarget::Waiting => Status::Waiting,
            ManualTarget::Stop => Status::Stop,
        }
    }

    fn column(self) -> usize {
        match self {
            ManualTarget::Blank => 0,
            ManualTarget::Resend => 1,
            ManualTarget::Waiting => 2,
            ManualTarget::Stop => 3,
        }
    }
}

/// One cell of the §6 manual-change table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Refused.
    No,
    /// Allowed.
    Yes,
    /// The line already has that status ("–" in the table): refused as a no-op.
    Same,
    /// Allowed for LS; for BS only with `--force`, because the debtor may be charged twice.
    BsNeedsForce,
    /// Allowed for LS only: the export sends a 0-amount cancellation for the payment date.
    LsOnly,
}

use Rule::{BsNeedsForce, LsOnly, No, Same, Yes};

/// The manual changes of `domain.md` §6: for each status, the rule for the targets blank,
/// resend, waiting and stop, in that order.
pub const MANUAL_CHANGES: [(Status, [Rule; 4]); 13] = [
    //                         blank         resend waiting stop
    (Status::Blank, [Same, No, Yes, No]),
    (Status::Sent, [BsNeedsForce, No, No, LsOnly]),
    (Status::ToBeTreated, [Yes, No, No, No]),
    (Status::Unsubscribed, [Yes, Yes, Yes, No]),
    (Status::Rejected, [Yes, Yes, Yes, No]),
    (Status::Reversed, [Yes, Yes, Yes, No]),
    (Status::Error, [Yes, Yes, Yes, No]),
    (Status::Received, [Yes, No, No, No]),
    (Status::Difference, [Yes, No, No, No]),
    (Status::Transmitting, [Yes, No, Yes, No]),
    (Status::Waiting, [Yes, No, No, No]),
    (Status::Information, [Yes, Yes, Yes, No]),
    (Status::Stop, [Yes, No, Yes, No]),
];

/// The rule of the §6 table for a pair.
pub fn manual_rule(from: Status, target: ManualTarget) -> Rule {
    MANUAL_CHANGES
        .iter()
        .find(|(status, _)| *status == from)
        .map_or(No, |(_, rules)| rules[target.column()])
}

/// Why a manual status change was refused. Nothing changes when a change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The line already has the status asked for.
    #[error("line is already {}", .0.as_str())]
    NoChange(Status),
    /// BS sent → blank without `--force`.
    #[error("line is sent: setting it back to blank may charge the debtor twice; use --force")]
    SentNeedsForce,
    /// Stop asked for a Betalingsservice line.
    #[error("only Leverandørservice lines can be stopped: a sent Betalingsservice charge cannot be cancelled from here (ask Mastercard to stop it)")]
    StopLsOnly,
    /// Any other pair the table refuses.
    #[error("{}", not_allowed_message(*.from, *.target))]
    NotAllowed { from: Status, target: ManualTarget },
    /// The change would make the line live while its entry is on another live line (I8).
    #[error("its entry is already on live line {other}: set that line to waiting first, or the debtor may be charged twice")]
    EntryOnOtherLine { other: i64 },
    /// Stop asked for some of the lines sent in one charge (a collective payment): the
    /// cancellation names the charge, and Mastercard cancels it whole. `charge` holds all
    /// its lines that are still sent, this one included.
    #[error("it was sent in one charge with line{} {}: Mastercard cancels a charge whole, so stop them together (status set --to stop {})",
        if .charge.len() > 2 { "s" } else { "" },
        and_list(.charge.iter().filter(|&&l| l != *.line)),
        .charge.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))]
    ChargeNotWhole { line: i64, charge: Vec<i64> },
}

/// `1`, `1 and 2`, `1, 2 and 3`.
fn and_list<'a>(ids: impl Iterator<Item = &'a i64>) -> String {
    let ids: Vec<String> = ids.map(i64::to_string).collect();
    match ids.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn not_allowed_message(from: Status, target: ManualTarget) -> String {
    let from = from.as_str();
    match target {
        ManualTarget::Resend => format!("cannot resend a {from} line"),
        _ => format!("cannot change a {from} line to {}", target.as_str()),
    }
}

impl Refusal {
    /// The stable code (used verbatim on the command line and in JSON).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoChange(_) => "no-change",
            Refusal::SentNeedsForce => "sent-needs-force",
            Refusal::StopLsOnly => "stop-ls-only",
            Refusal::NotAllowed { .. } => "not-allowed",
            Refusal::EntryOnOtherLine { .. } => "entry-on-other-line",
            Refusal::ChargeNotWhole { .. } => "charge-not-whole",
        }
    }
}

/// A manual status change: the new status, or why it is refused.
///
/// `force` only matters for BS sent → blank (the debtor may be charged twice); it never
/// unlocks a pair the table refuses.
pub fn manual_change(
    from: Status,
    target: ManualTarget,
    scheme: Scheme,
    force: bool,
) -> Result<Status, Refusal> {
    match manual_rule(from, target) {
        Yes => Ok(target.status()),
        No => Err(Refusal::NotAllowed { from, target }),
        Same => Err(Refusal::NoChange(from)),
        BsNeedsForce => match scheme {
            Scheme::Ls => Ok(target.status()),
            Scheme::Bs if force => Ok(target.status()),
            Scheme::Bs => Err(Refusal::SentNeedsForce),
        },
        LsOnly => match scheme {
            Scheme::Ls => Ok(target.status()),
            Scheme::Bs => Err(Refusal::StopLsOnly),
        },
    }
}

/// What a 0602 payment-information record (BS or LS) says happened to a charge. The importer
/// maps record codes to these: BS 0236/0297 and LS 0580/0585 → `Completed` or `Difference`,
/// 0237/0530 → `Rejected`, 0238/0540 → `Unsubscribed`, 0239/0299/0555 → `ChargedBack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentOutcome {
    /// Completed for the amount charged.
    Completed,
    /// Completed for another amount.
    Difference,
    /// Rejected; `after_due_date` when the money had already moved (it goes back).
    Rejected { after_due_date: bool },
    /// Cancelled (unsubscribed) before the due date.
    Unsubscribed,
    /// Charged back by the debtor's bank.
    ChargedBack,
}

/// An event that changes a line's status without a person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The line went out in a delivery.
    Export,
    /// LS 0690 receipt: Mastercard has the charge.
    Receipt,
    /// 0602 payment information.
    PaymentInfo(PaymentOutcome),
    /// An error or remark from Mastercard about the charge.
    BankError,
    /// A comment from Mastercard about the charge.
    BankComment,
}

/// The automatic changes of `domain.md` §6 as (event, from, to). An event from a status not
/// listed here changes nothing.
pub const AUTOMATIC_CHANGES: &[(Event, Status, Status)] = {
    use Event::{BankComment, BankError, Export, PaymentInfo, Receipt};
    use PaymentOutcome::{ChargedBack, Completed, Difference, Rejected, Unsubscribed};
    use Status as S;
    &[
        (Export, S::Blank, S::Sent),
        (Export, S::Transmitting, S::Sent),
        // LS stop: the 0-amount cancellation goes out and the line stays stop.
        (Export, S::Stop, S::Stop),
        (Receipt, S::Sent, S::ToBeTreated),
        (PaymentInfo(Completed), S::Sent, S::Received),
        (PaymentInfo(Completed), S::ToBeTreated, S::Received),
        (PaymentInfo(Difference), S::Sent, S::Difference),
        (PaymentInfo(Difference), S::ToBeTreated, S::Difference),
        (
            PaymentInfo(Rejected {
                after_due_date: false,
            }),
            S::Sent,
            S::Rejected,
        ),
        (
            PaymentInfo(Rejected {
                after_due_date: false,
            }),
            S::ToBeTreated,
            S::Rejected,
        ),
        (
            PaymentInfo(Rejected {
                after_due_date: true,
            }),
            S::Sent,
            S::Rejected,
        ),
        (
            PaymentInfo(Rejected {
                after_due_date: true,
            }),
            S::ToBeTreated,
            S::Rejected,
        ),
        (PaymentInfo(Unsubscribed), S::Sent, S::Unsubscribed),
        (PaymentInfo(Unsubscribed), S::ToBeTreated, S::Unsubscribed),
        // A later 0602 about a charge that was completed: charged back, or rejected after the
        // due date (the money goes back).
        (PaymentInfo(ChargedBack), S::Received, S::Reversed),
        (
            PaymentInfo(Rejected {
                after_due_date: true,
            }),
            S::Received,
            S::Rejected,
        ),
        (BankError, S::Sent, S::Error),
        (BankError, S::ToBeTreated, S::Error),
        (BankComment, S::Sent, S::Information),
        (BankComment, S::ToBeTreated, S::Information),
    ]
};

/// The status after an automatic event, or `None` when the event is not an edge from `from`
/// (then the caller changes nothing).
pub fn automatic_change(from: Status, event: Event) -> Option<Status> {
    AUTOMATIC_CHANGES
        .iter()
        .find(|(e, f, _)| *e == event && *f == from)
        .map(|(_, _, to)| *to)
}

/// Export: blank or transmitting → sent; an LS stop line stays stop (its cancellation is
/// sent). Validation keeps BS stop lines and every other status out of an export.
pub fn on_export(status: Status) -> Option<Status> {
    automatic_change(status, Event::Export)
}

/// LS 0690 receipt: sent → to-be-treated.
pub fn on_receipt(status: Status) -> Option<Status> {
    automatic_change(status, Event::Receipt)
}

/// 0602 payment information: sent/to-be-treated → received, difference, rejected or
/// unsubscribed; received → reversed (charge-back) or rejected (after the due date).
pub fn on_payment_info(status: Status, outcome: PaymentOutcome) -> Option<Status> {
    automatic_change(status, Event::PaymentInfo(outcome))
}

/// An error or remark from Mastercard: sent/to-be-treated → error.
pub fn on_bank_error(status: Status) -> Option<Status> {
    automatic_change(status, Event::BankError)
}

/// A comment from Mastercard: sent/to-be-treated → information.
pub fn on_bank_comment(status: Status) -> Option<Status> {
    automatic_change(status, Event::BankComment)
}

/// True when `old → new` is an edge of the status machine, manual or automatic; `old = None`
/// is the creation of a line, which starts blank. `payrun verify` checks every status-log entry
/// with it (I6). Manual edges count whatever the scheme and `--force`.
pub fn is_allowed_edge(old: Option<Status>, new: Status) -> bool {
    let Some(old) = old else {
        return new == Status::Blank;
    };
    let manual = ManualTarget::ALL
        .into_iter()
        .any(|target| target.status() == new && !matches!(manual_rule(old, target), No | Same));
    manual
        || AUTOMATIC_CHANGES
            .iter()
            .any(|(_, from, to)| *from == old && *to == new)
}

impl fmt::Display for ManualTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The §6 table as a person reads it, one row per status, columns blank / resend / waiting
    /// / stop. Each cell is the resulting status or the refusal code. Written out again here
    /// (not derived from `MANUAL_CHANGES`) so that a wrong cell in the code fails a test.
    const EXPECTED_BS: &str = "
        blank         | no-change        | not-allowed  | waiting | not-allowed
        sent          | sent-needs-force | not-allowed  | not-allowed | stop-ls-only
        to-be-treated | blank            | not-allowed  | not-allowed | not-allowed
        unsubscribed  | blank            | transmitting | waiting | not-allowed
        rejected      | blank            | transmitting | waiting | not-allowed
        reversed      | blank            | transmitting | waiting | not-allowed
        error         | blank            | transmitting | waiting | not-allowed
        received      | blank            | not-allowed  | not-allowed | not-allowed
        difference    | blank            | not-allowed  | not-allowed | not-allowed
        transmitting  | blank            | not-allowed  | waiting | not-allowed
        waiting       | blank            | not-allowed  | not-allowed | not-allowed
        information   | blank            | transmitting | waiting | not-allowed
        stop          | blank            | not-allowed  | waiting | not-allowed
    ";

    fn outcome(from: Status, target: ManualTarget, scheme: Scheme, force: bool) -> String {
        match manual_change(from, target, scheme, force) {
            Ok(status) => status.as_str().to_string(),
            Err(refusal) => refusal.code().to_string(),
        }
    }

    /// Checks all 13 × 4 pairs against the expected table, where `patch` changes the cells that
    /// differ from the BS table for this scheme and force. Returns the number of cases checked.
    fn check_table(scheme: Scheme, force: bool, patch: &[(&str, &str, &str)]) -> usize {
        let mut checked = 0;
        let rows: Vec<&str> = EXPECTED_BS
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(rows.len(), 13);
        for (row, status) in rows.iter().zip(Status::ALL) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(cells[0], status.as_str(), "rows follow Status::ALL");
            for (target, expected) in ManualTarget::ALL.into_iter().zip(&cells[1..]) {
                let expected = patch
                    .iter()
                    .find(|(f, t, _)| *f == status.as_str() && *t == target.as_str())
                    .map_or(*expected, |(_, _, e)| *e);
                assert_eq!(
                    outcome(status, target, scheme, force),
                    expected,
                    "{scheme:?} force={force}: {} -> {}",
                    status.as_str(),
                    target.as_str()
                );
                checked += 1;
            }
        }
        checked
    }

    #[test]
    fn every_manual_pair_for_bs_without_force() {
        assert_eq!(check_table(Scheme::Bs, false, &[]), 52);
    }

    #[test]
    fn bs_force_only_unlocks_sent_to_blank() {
        assert_eq!(
            check_table(Scheme::Bs, true, &[("sent", "blank", "blank")]),
            52
        );
    }

    #[test]
    fn every_manual_pair_for_ls() {
        // LS: sent → blank needs no force (no double-charge risk flagged by the spec), and a
        // sent line can be stopped.
        let patch = [("sent", "blank", "blank"), ("sent", "stop", "stop")];
        assert_eq!(check_table(Scheme::Ls, false, &patch), 52);
        assert_eq!(check_table(Scheme::Ls, true, &patch), 52);
    }

    #[test]
    fn refusals_say_what_and_why() {
        let message = |from, target, scheme| {
            manual_change(from, target, scheme, false)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            message(Status::Sent, ManualTarget::Blank, Scheme::Bs),
            "line is sent: setting it back to blank may charge the debtor twice; use --force"
        );
        assert_eq!(
            message(Status::Received, ManualTarget::Waiting, Scheme::Bs),
            "cannot change a received line to waiting"
        );
        assert_eq!(
            message(Status::Waiting, ManualTarget::Resend, Scheme::Ls),
            "cannot resend a waiting line"
        );
        assert_eq!(
            message(Status::Blank, ManualTarget::Blank, Scheme::Ls),
            "line is already blank"
        );
        assert!(message(Status::Sent, ManualTarget::Stop, Scheme::Bs).contains("Leverandørservice"));
    }

    #[test]
    fn table_rows_follow_the_status_list() {
        let order: Vec<Status> = MANUAL_CHANGES.iter().map(|(s, _)| *s).collect();
        assert_eq!(order, Status::ALL);
        for target in ManualTarget::ALL {
            assert_eq!(ManualTarget::parse(target.as_str()), Some(target));
        }
        assert_eq!(ManualTarget::parse("transmitting"), None);
    }

    /// Every (status, event) pair: the expected edges are listed; all others must be `None`.
    #[test]
    fn automatic_changes_are_exactly_the_listed_edges() {
        use PaymentOutcome::*;
        use Status as S;
        let expected: &[(Event, S, S)] = &[
            (Event::Export, S::Blank, S::Sent),
            (Event::Export, S::Transmitting, S::Sent),
            (Event::Export, S::Stop, S::Stop),
            (Event::Receipt, S::Sent, S::ToBeTreated),
            (Event::PaymentInfo(Completed), S::Sent, S::Received),
            (Event::PaymentInfo(Completed), S::ToBeTreated, S::Received),
            (Event::PaymentInfo(Difference), S::Sent, S::Difference),
            (
                Event::PaymentInfo(Difference),
                S::ToBeTreated,
                S::Difference,
            ),
            (
                Event::PaymentInfo(Rejected {
                    after_due_date: false,
                }),
                S::Sent,
                S::Rejected,
            ),
            (
                Event::PaymentInfo(Rejected {
                    after_due_date: false,
                }),
                S::ToBeTreated,
                S::Rejected,
            ),
            (
                Event::PaymentInfo(Rejected {
                    after_due_date: true,
                }),
                S::Sent,
                S::Rejected,
            ),
            (
                Event::PaymentInfo(Rejected {
                    after_due_date: true,
                }),
                S::ToBeTreated,
                S::Rejected,
            ),
            (
                Event::PaymentInfo(Rejected {
                    after_due_date: true,
                }),
                S::Received,
                S::Rejected,
            ),
            (Event::PaymentInfo(Unsubscribed), S::Sent, S::Unsubscribed),
            (
                Event::PaymentInfo(Unsubscribed),
                S::ToBeTreated,
                S::Unsubscribed,
            ),
            (Event::PaymentInfo(ChargedBack), S::Received, S::Reversed),
            (Event::BankError, S::Sent, S::Error),
            (Event::BankError, S::ToBeTreated, S::Error),
            (Event::BankComment, S::Sent, S::Information),
            (Event::BankComment, S::ToBeTreated, S::Information),
        ];
        let events = [
            Event::Export,
            Event::Receipt,
            Event::PaymentInfo(Completed),
            Event::PaymentInfo(Difference),
            Event::PaymentInfo(Rejected {
                after_due_date: false,
            }),
            Event::PaymentInfo(Rejected {
                after_due_date: true,
            }),
            Event::PaymentInfo(Unsubscribed),
            Event::PaymentInfo(ChargedBack),
            Event::BankError,
            Event::BankComment,
        ];
        let mut edges = 0;
        for event in events {
            for from in S::ALL {
                let want = expected
                    .iter()
                    .find(|(e, f, _)| *e == event && *f == from)
                    .map(|(_, _, t)| *t);
                assert_eq!(
                    automatic_change(from, event),
                    want,
                    "{event:?} from {from:?}"
                );
                edges += usize::from(want.is_some());
            }
        }
        assert_eq!(edges, expected.len());
    }

    #[test]
    fn a_return_record_applied_twice_changes_nothing_the_second_time() {
        // I5: the second identical 0602 finds the line already received and is not an edge.
        let first = on_payment_info(Status::Sent, PaymentOutcome::Completed);
        assert_eq!(first, Some(Status::Received));
        assert_eq!(
            on_payment_info(Status::Received, PaymentOutcome::Completed),
            None
        );
        // A charge-back after completion, then the same charge-back again.
        assert_eq!(
            on_payment_info(Status::Received, PaymentOutcome::ChargedBack),
            Some(Status::Reversed)
        );
        assert_eq!(
            on_payment_info(Status::Reversed, PaymentOutcome::ChargedBack),
            None
        );
        // A rejection before the due date cannot undo a completed charge.
        assert_eq!(
            on_payment_info(
                Status::Received,
                PaymentOutcome::Rejected {
                    after_due_date: false
                }
            ),
            None
        );
    }

    #[test]
    fn export_wrappers() {
        assert_eq!(on_export(Status::Blank), Some(Status::Sent));
        assert_eq!(on_export(Status::Transmitting), Some(Status::Sent));
        assert_eq!(on_export(Status::Stop), Some(Status::Stop));
        assert_eq!(on_export(Status::Waiting), None);
        assert_eq!(on_export(Status::Sent), None);
        assert_eq!(on_receipt(Status::Sent), Some(Status::ToBeTreated));
        assert_eq!(on_receipt(Status::ToBeTreated), None);
        assert_eq!(on_bank_error(Status::ToBeTreated), Some(Status::Error));
        assert_eq!(on_bank_comment(Status::Sent), Some(Status::Information));
        assert_eq!(on_bank_comment(Status::Blank), None);
    }

    #[test]
    fn allowed_edges_for_the_status_log_check() {
        assert!(is_allowed_edge(None, Status::Blank));
        assert!(!is_allowed_edge(None, Status::Sent));
        assert!(is_allowed_edge(Some(Status::Blank), Status::Sent)); // export
        assert!(is_allowed_edge(Some(Status::Sent), Status::Blank)); // manual, BS with force
        assert!(is_allowed_edge(Some(Status::Sent), Status::Stop)); // manual, LS
        assert!(is_allowed_edge(
            Some(Status::Rejected),
            Status::Transmitting
        )); // resend
        assert!(is_allowed_edge(Some(Status::Received), Status::Reversed)); // 0239
        assert!(!is_allowed_edge(Some(Status::Blank), Status::Blank));
        assert!(!is_allowed_edge(Some(Status::Blank), Status::Received));
        assert!(!is_allowed_edge(Some(Status::Waiting), Status::Sent));
        assert!(!is_allowed_edge(
            Some(Status::Received),
            Status::Transmitting
        ));
    }
}
