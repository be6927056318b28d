//! The accounting journal (`domain.md` §8) as methods of [`Engine`], in an `impl` block of
//! its own: list the draft, fix a `(!)` line, give a line its offset account, post, transfer
//! payment lines by hand, and read the posted ledger.
//!
//! The `ledger` crate does the booking (drafts, settlement, immutable transactions); these
//! methods give it the company and one `IMMEDIATE` transaction, so every call is all or
//! nothing and a refusal changes nothing.
//!
//! ```no_run
//! use engine::api::Engine;
//!
//! let mut engine = Engine::open("payrun.db", None)?;
//! for line in engine.journal_lines(Some("Day"))? {
//!     println!("{} {} {} {}", line.id, line.text, line.amount, line.attention);
//! }
//! let report = engine.journal_post(None, engine::clock::now_in_denmark())?;
//! println!("{} lines posted", report.posted.len());
//! # Ok::<(), engine::Error>(())
//! ```

use crate::api::Engine;
use crate::charge::amount_to_charge;
use crate::error::{Error, Result};
use crate::exchange::ArchivedFile;
use crate::model::{Scheme, GROUP_DESELECTED, GROUP_SINGLE};
use crate::store::CompanyKey;
use chrono::NaiveDateTime;
use ledger::{
    AccountBalance, Amount, JournalLine, LedgerTransaction, NewJournalLine, PostingReport,
};
use rusqlite::Connection;
use std::collections::{BTreeMap, HashSet};

/// The `companies.key` of a company: the ledger's company argument.
fn company_key(conn: &Connection, company: &CompanyKey) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT key FROM companies WHERE id = ?1",
        [company.id()],
        |row| row.get(0),
    )?)
}

/// What a person's fix of a draft line did ([`Engine::journal_set_account`],
/// [`Engine::journal_set_offset_account`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFixed {
    /// The line as it is now.
    pub line: JournalLine,
    /// The bank file the line came from, when none of its lines needs attention any more:
    /// its archive status went from `error` to `ok`.
    pub file_now_ok: Option<ArchivedFile>,
}

/// A person saw to `line`: its bank file's archive status may be `ok` now.
fn file_seen_to(
    conn: &Connection,
    company: &CompanyKey,
    line: JournalLine,
    now: NaiveDateTime,
) -> Result<LineFixed> {
    let file_now_ok = if line.attention {
        None
    } else {
        crate::store::file_status_after_fix(conn, company, &line.source, now)?
    };
    if let Some(file) = &file_now_ok {
        tracing::info!(
            company = company.id(),
            file = file.id,
            "no journal line of the file needs attention any more: status ok"
        );
    }
    Ok(LineFixed { line, file_now_ok })
}

impl Engine {
    /// `payrun journal list`: the draft lines of one journal, or of all, in id order.
    pub fn journal_lines(&mut self, journal: Option<&str>) -> Result<Vec<JournalLine>> {
        let (store, company) = self.parts();
        let conn = store.connection();
        let key = company_key(conn, company)?;
        Ok(ledger::draft_lines(conn, key, journal)?)
    }

    /// `payrun journal set-account`: a person sets a draft line's debtor account, and so
    /// approves it (a `(!)` line can be posted afterwards). Unknown line or account: refused,
    /// nothing changed. When no draft line of the bank file the line came from needs
    /// attention any more, the file's archive status goes from `error` to `ok`, logged at
    /// `now`, and [`LineFixed::file_now_ok`] names it.
    pub fn journal_set_account(
        &mut self,
        line: i64,
        account: &str,
        now: NaiveDateTime,
    ) -> Result<LineFixed> {
        let company = self.company().clone();
        self.store().atomically(|store| {
            let conn = store.connection();
            let key = company_key(conn, &company)?;
            let line = ledger::set_account(conn, key, line, account)?;
            tracing::info!(
                company = company.id(),
                line = line.id,
                account,
                "journal line fixed"
            );
            file_seen_to(conn, &company, line, now)
        })
    }

    /// `payrun journal set-offset-account`: a person sets a draft line's offset account, the
    /// general-ledger account it balances against (the bank account), for a line imported for
    /// a payment format without a bank account. Not an approval: a `(!)` line still needs
    /// `journal_set_account`. Unknown line or empty account: refused, nothing changed. The
    /// file's archive status as for [`Engine::journal_set_account`].
    pub fn journal_set_offset_account(
        &mut self,
        line: i64,
        account: &str,
        now: NaiveDateTime,
    ) -> Result<LineFixed> {
        let company = self.company().clone();
        self.store().atomically(|store| {
            let conn = store.connection();
            let key = company_key(conn, &company)?;
            let line = ledger::set_offset_account(conn, key, line, account)?;
            tracing::info!(
                company = company.id(),
                line = line.id,
                offset_account = account,
                "journal line given an offset account"
            );
            file_seen_to(conn, &company, line, now)
        })
    }

    /// `payrun journal post`: posts every line of the journal (or of all journals) that needs
    /// no attention, settles the entries its offsets name, writes the immutable ledger
    /// transactions and takes the lines out of the draft. Nothing to post, an unknown invoice,
    /// an invoice settled meanwhile, an overpayment: refused, nothing changed.
    pub fn journal_post(
        &mut self,
        journal: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<PostingReport> {
        let company = self.company().clone();
        self.store().atomically(|store| {
            let conn = store.connection();
            let key = company_key(conn, &company)?;
            let report = ledger::post(conn, key, journal, now)?;
            tracing::info!(
                company = company.id(),
                posted = report.posted.len(),
                settled = report.entries_settled,
                left = report.attention,
                "journal posted"
            );
            Ok(report)
        })
    }

    /// `payrun journal transfer`: the manual "transfer to draft" of §8. The selected payment
    /// lines become draft lines crediting their debtors with the amount each line charges,
    /// one per line, or one per collective payment whose selected lines it merges (text
    /// `BS <group id>`, its invoices as offsets); else `BS <invoice>` (`LS …` for LS). The
    /// journal and the bank account are the payment format's unless given.
    ///
    /// Refused, with nothing changed: an unknown payment line, a line whose entry has no
    /// invoice number (nothing to settle) or is settled already, an invoice already in a
    /// draft line of the debtor (transferred or imported before), no bank account.
    pub fn journal_transfer(
        &mut self,
        lines: &[i64],
        journal: Option<&str>,
        bank_account: Option<&str>,
    ) -> Result<Vec<JournalLine>> {
        if lines.is_empty() {
            return Err(Error::Transfer(
                "no payment line given: name the lines to transfer (payrun list shows them)"
                    .to_string(),
            ));
        }
        let journal = journal.map(str::trim).filter(|j| !j.is_empty());
        let bank_account = bank_account.map(str::trim).filter(|a| !a.is_empty());
        let company = self.company().clone();
        let formats = self.formats()?;
        self.store().atomically(|store| {
            let key = company_key(store.connection(), &company)?;
            // (account, invoice) already named by a draft line.
            let in_draft: HashSet<(String, String)> =
                ledger::draft_lines(store.connection(), key, None)?
                    .into_iter()
                    .filter_map(|l| l.account.map(|a| (a, l.offsets)))
                    .flat_map(|(a, offsets)| offsets.into_iter().map(move |o| (a.clone(), o)))
                    .collect();
            // Charges: the lines of one collective payment merge into one draft line.
            let mut charges: BTreeMap<(String, String), Charge> = BTreeMap::new();
            let mut seen = HashSet::new();
            for &id in lines {
                if !seen.insert(id) {
                    continue;
                }
                let (line, entry, _) = store.line(&company, id)?;
                let format = formats
                    .iter()
                    .find(|f| f.id == line.format_id)
                    .ok_or_else(|| Error::UnknownFormat(line.format_id.to_string()))?;
                let Some(invoice) = entry.invoice.as_deref().map(str::to_string).filter(|i| !i.trim().is_empty()) else {
                    return Err(Error::Transfer(format!(
                        "payment line {id}: entry {} has no invoice number, so there is nothing to settle: post it by hand; nothing was transferred",
                        entry.entry_id
                    )));
                };
                if !entry.is_open() {
                    return Err(Error::Transfer(format!(
                        "payment line {id}: invoice {invoice} of debtor {} is settled already; nothing was transferred",
                        line.debtor
                    )));
                }
                if in_draft.contains(&(line.debtor.to_string(), invoice.clone())) {
                    return Err(Error::Transfer(format!(
                        "payment line {id}: invoice {invoice} of debtor {} is in the journal draft already (payrun journal list shows it); nothing was transferred",
                        line.debtor
                    )));
                }
                let offset = bank_account
                    .map(str::to_string)
                    .or_else(|| format.bank_account.clone().filter(|a| !a.trim().is_empty()))
                    .ok_or_else(|| {
                        Error::Transfer(format!(
                            "payment format {} has no bank account: give one with --bank-account; nothing was transferred",
                            format.id
                        ))
                    })?;
                let group = line
                    .group
                    .as_deref()
                    .filter(|&g| g != GROUP_SINGLE && g != GROUP_DESELECTED)
                    .map(str::to_string);
                let charge_key = (
                    format.id.to_string(),
                    group.clone().unwrap_or_else(|| format!("line {id}")),
                );
                let charge = charges.entry(charge_key).or_insert_with(|| Charge {
                    first_line: id,
                    scheme: format.scheme,
                    journal: journal.map_or_else(|| format.journal.clone(), str::to_string),
                    date: line.payment_date,
                    account: line.debtor.to_string(),
                    group,
                    offset_account: offset,
                    amount: Amount::ZERO,
                    invoices: Vec::new(),
                    lines: Vec::new(),
                });
                let charged = amount_to_charge(&line, &entry, format);
                charge.amount = charge.amount.checked_add(charged).ok_or_else(|| {
                    Error::Transfer(format!("payment line {id}: the amounts overflow"))
                })?;
                if !charge.invoices.contains(&invoice) {
                    charge.invoices.push(invoice);
                }
                charge.lines.push(id);
            }
            let mut charges: Vec<Charge> = charges.into_values().collect();
            charges.sort_by_key(|c| c.first_line);
            let new: Vec<NewJournalLine> = charges.into_iter().map(Charge::into_line).collect();
            let conn = store.connection();
            let ids = ledger::add_draft_lines(conn, key, &new)?;
            let mut added = Vec::with_capacity(ids.len());
            for id in ids {
                added.push(ledger::draft_line(conn, key, id)?);
            }
            tracing::info!(
                company = company.id(),
                lines = lines.len(),
                journal_lines = added.len(),
                "payment lines transferred to the journal draft"
            );
            Ok(added)
        })
    }

    /// The posted ledger transactions, oldest first.
    pub fn ledger_transactions(&mut self) -> Result<Vec<LedgerTransaction>> {
        let (store, company) = self.parts();
        let conn = store.connection();
        let key = company_key(conn, company)?;
        Ok(ledger::transactions(conn, key, 1..=i64::MAX)?)
    }

    /// The trial balance of the posted ledger: every account with its balance.
    pub fn trial_balance(&mut self) -> Result<Vec<AccountBalance>> {
        let (store, company) = self.parts();
        let conn = store.connection();
        let key = company_key(conn, company)?;
        Ok(ledger::trial_balance(conn, key)?)
    }
}

/// One draft line being built by a transfer.
struct Charge {
    first_line: i64,
    scheme: Scheme,
    journal: String,
    date: chrono::NaiveDate,
    account: String,
    group: Option<String>,
    offset_account: String,
    amount: Amount,
    invoices: Vec<String>,
    lines: Vec<i64>,
}

impl Charge {
    fn into_line(self) -> NewJournalLine {
        let scheme = match self.scheme {
            Scheme::Bs => "BS",
            Scheme::Ls => "LS",
        };
        let what = match &self.group {
            Some(group) => group.clone(),
            None => self.invoices.join(" "),
        };
        let lines: Vec<String> = self.lines.iter().map(i64::to_string).collect();
        NewJournalLine {
            journal: self.journal,
            date: self.date,
            account: Some(self.account),
            text: format!("{scheme} {what}"),
            // The charged amount credited to the debtor: a collection is a payment received.
            amount: self.amount.checked_neg().unwrap_or(self.amount),
            offset_account: Some(self.offset_account),
            offsets: self.invoices,
            source: format!(
                "payment line{} {}",
                if lines.len() == 1 { "" } else { "s" },
                lines.join(", ")
            ),
        }
    }
}
