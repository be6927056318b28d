//! Model-based test of the status machine and the exchange (reliability.md "Property tests",
//! "Whole-cycle simulation"; I4–I8): random sequences of operations — suggest, validate,
//! collect (and `--off`), manual status changes with random targets, export (sometimes twice in
//! a row), bank answers from the simulator with random rates and seeds, imported in random
//! order, re-sent as the same file, re-sent inside another file, and contradicted by a second
//! simulation of the same delivery — applied to the engine (the library, on a real SQLite file)
//! and to a small model kept here: the status of every line, which lines may be sent, which
//! answers were imported. After every step the outcomes (done or refused) and the statuses are
//! compared, and `verify_database` must pass.
//!
//! Every case has a seed, printed with the steps taken when it fails. `PAYRUN_MODEL_SEED=S`
//! replays one case; `PAYRUN_MODEL_CASES=N` and `PAYRUN_MODEL_STEPS=N` make it heavier
//! (default [`CASES`] × [`STEPS`]).
//!
//! Also here: money conservation through the export as a proptest (I8: each 042 record's
//! amount is the sum of the lines of its charge, read back from the file).

use crate::scenario::{at, checkpoint, copy_database};
use crate::support::{data, TempDir};
use bankcal::Calendar;
use chrono::NaiveDateTime;
use engine::api::Engine;
use engine::delivery::{parse_delivery, to_latin1, Bs0602Record, Delivery, SplitMix64};
use engine::exchange::simulate::{simulate_answers, BankRates};
use engine::exchange::ImportOutcome;
use engine::status::ManualTarget;
use engine::LineFilter;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CASES: u64 = 32;
const STEPS: usize = 20;

const NOW: &str = "2026-05-04T09:00";
const LATER: &str = "2026-07-01T19:00";

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn time(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
}

/// The company of the exchange tests (BS Basis, BS Total, BS without banking-day action, LS
/// blocking payouts) with the run fixture's master data and entries, built once through the
/// binary.
fn template() -> TempDir {
    let tmp = TempDir::new("model-tpl");
    let dir = tmp.path();
    at(dir, NOW, &["init", "--name", "Model A/S"], &[0]);
    for (id, scheme, creditor, extra) in [
        ("BS", "bs", "09990001", &["--bs-type", "basis"][..]),
        ("BST", "bs", "09990002", &["--bs-type", "total"]),
        ("BSN", "bs", "09990003", &["--banking-day", "none"]),
        ("LS", "ls", "12345", &["--block-payouts"]),
    ] {
        let mut args = vec![
            "format",
            "add",
            "--id",
            id,
            "--scheme",
            scheme,
            "--creditor",
            creditor,
            "--supplier-cvr",
            "99887766",
        ];
        args.extend_from_slice(extra);
        at(dir, NOW, &args, &[0]);
    }
    for kind in ["debtors", "mandates", "entries"] {
        at(
            dir,
            NOW,
            &["import", kind, &data(&format!("run/{kind}.csv"))],
            &[0],
        );
    }
    checkpoint(&dir.join("payrun.db"));
    tmp
}

/// The manual edges of domain.md §6, written out again from the table (not from the engine):
/// the status a target gives, or `None` when the change is refused.
fn manual_model(from: &str, target: ManualTarget, bs: bool, force: bool) -> Option<&'static str> {
    use ManualTarget::*;
    let allowed = match (from, target) {
        ("blank", Waiting) => true,
        ("sent", Blank) => !bs || force,
        ("sent", Stop) => !bs,
        ("to-be-treated" | "received" | "difference" | "waiting", Blank) => true,
        (
            "unsubscribed" | "rejected" | "reversed" | "error" | "information",
            Blank | Resend | Waiting,
        ) => true,
        ("transmitting" | "stop", Blank | Waiting) => true,
        _ => false,
    };
    allowed.then_some(match target {
        Blank => "blank",
        Resend => "transmitting",
        Waiting => "waiting",
        Stop => "stop",
    })
}

/// Liveness (I8, domain.md §4 "live"), written out again from the specification.
fn is_live(status: &str, group: Option<&str>) -> bool {
    match status {
        "blank" | "transmitting" => group != Some("Deselected"),
        "sent" | "to-be-treated" | "received" | "difference" | "error" | "information" => true,
        _ => false,
    }
}

/// Statuses a bank answer may give a line (0690 receipt, 0602 payment information, LS
/// remarks and comments).
const ANSWER_STATUSES: &[&str] = &[
    "to-be-treated",
    "received",
    "difference",
    "rejected",
    "unsubscribed",
    "reversed",
    "error",
    "information",
];

#[derive(Debug, Clone)]
struct ModelLine {
    status: String,
    bs: bool,
    /// I7: the line may be exported: it is new, or a person set it to blank or resend since it
    /// was last sent.
    sendable: bool,
}

/// An answer file: its name and bytes, and which export it answers.
#[derive(Debug, Clone)]
struct Answer {
    name: String,
    bytes: Vec<u8>,
    bs: bool,
}

struct Case {
    engine: Engine,
    calendar: Calendar,
    out: PathBuf,
    lines: BTreeMap<i64, ModelLine>,
    /// Exported files: path, scheme, and the answer seed used (if answered).
    exports: Vec<(PathBuf, bool, Option<u64>)>,
    pending: Vec<Answer>,
    imported: Vec<Answer>,
    log: Vec<String>,
    resent_ids: u64,
}

impl Case {
    fn statuses(&mut self) -> BTreeMap<i64, (String, String, Option<String>)> {
        self.engine
            .list(&LineFilter::default())
            .unwrap()
            .into_iter()
            .map(|l| {
                (
                    l.line,
                    (
                        l.status.to_string(),
                        l.format.to_string(),
                        l.reference.as_ref().map(|r| r.to_string()),
                    ),
                )
            })
            .collect()
    }

    /// Adds lines the engine created (suggest) to the model, as new blank sendable lines.
    fn adopt_new_lines(&mut self) {
        for (id, (status, format, _)) in self.statuses() {
            if let std::collections::btree_map::Entry::Vacant(slot) = self.lines.entry(id) {
                assert_eq!(status, "blank", "a new line {id} is {status}");
                slot.insert(ModelLine {
                    status,
                    bs: format != "LS",
                    sendable: true,
                });
            }
        }
    }

    /// The engine's statuses equal the model's, line by line.
    fn compare(&mut self, step: &str) {
        let engine: BTreeMap<i64, String> = self
            .statuses()
            .into_iter()
            .map(|(id, (status, _, _))| (id, status))
            .collect();
        let model: BTreeMap<i64, String> = self
            .lines
            .iter()
            .map(|(id, l)| (*id, l.status.clone()))
            .collect();
        assert_eq!(engine, model, "after {step}");
    }

    fn step(&mut self, rng: &mut SplitMix64) {
        let now = time(NOW);
        let later = time(LATER);
        match rng.below(20) {
            0 | 1 => {
                self.log.push("suggest".into());
                self.engine.suggest(&self.calendar, now, false).unwrap();
                self.adopt_new_lines();
                self.compare("suggest");
            }
            2 => {
                self.log.push("validate".into());
                self.engine.validate(&self.calendar, now).unwrap();
                self.compare("validate");
            }
            3 | 4 => {
                self.log.push("collect".into());
                self.engine.collect(&self.calendar, now).unwrap();
                self.compare("collect");
            }
            5 => {
                self.log.push("collect --off".into());
                self.engine.collect_off().unwrap();
                self.compare("collect --off");
            }
            6..=9 => self.status_set(rng),
            10..=12 => self.export(rng),
            13 | 14 => self.simulate(rng),
            15..=17 => self.import_pending(rng, later),
            18 => self.resend(rng, later),
            _ => self.resend_in_another_file(rng, later),
        }
    }

    fn status_set(&mut self, rng: &mut SplitMix64) {
        let ids: Vec<i64> = self.lines.keys().copied().collect();
        let count = 1 + rng.below(2) as usize;
        let mut chosen: Vec<i64> = (0..count)
            .map(|_| {
                if ids.is_empty() || rng.below(25) == 0 {
                    9_999
                } else {
                    ids[rng.below(ids.len() as u64) as usize]
                }
            })
            .collect();
        chosen.dedup();
        let target = ManualTarget::ALL[rng.below(4) as usize];
        let force = rng.below(2) == 0;
        self.log.push(format!(
            "status set {chosen:?} --to {target:?} force={force}"
        ));
        let mut expected: Option<Vec<&str>> = chosen
            .iter()
            .map(|id| {
                self.lines
                    .get(id)
                    .and_then(|l| manual_model(&l.status, target, l.bs, force))
            })
            .collect();
        // I8: a change that makes a line live is refused while its entry is on another live
        // line (counting the other changes asked for at once).
        if let Some(new) = &expected {
            let views = self.engine.list(&LineFilter::default()).unwrap();
            let new_status: BTreeMap<i64, &str> =
                chosen.iter().copied().zip(new.iter().copied()).collect();
            let status_of = |v: &engine::view::LineView| -> String {
                new_status
                    .get(&v.line)
                    .map_or_else(|| v.status.to_string(), |s| s.to_string())
            };
            let conflict = views.iter().any(|v| {
                let Some(&status) = new_status.get(&v.line) else {
                    return false;
                };
                !is_live(v.status, v.group.as_deref())
                    && is_live(status, v.group.as_deref())
                    && views.iter().any(|o| {
                        o.line != v.line
                            && o.entry == v.entry
                            && is_live(&status_of(o), o.group.as_deref())
                    })
            });
            if conflict {
                expected = None;
            }
            // A stop cancels the charge the line was sent in, whole: the other lines still
            // sent in that charge must be stopped in the same request.
            let charge_split = views.iter().any(|v| {
                new_status.get(&v.line) == Some(&"stop")
                    && v.reference.is_some()
                    && views.iter().any(|o| {
                        o.reference == v.reference
                            && o.format == v.format
                            && o.status == "sent"
                            && !new_status.contains_key(&o.line)
                    })
            });
            if charge_split {
                expected = None;
            }
        }
        let result = self.engine.set_status(&chosen, target, force, time(NOW));
        match (expected, result) {
            (Some(new), Ok(_)) => {
                for (id, status) in chosen.iter().zip(new) {
                    let line = self.lines.get_mut(id).unwrap();
                    line.status = status.to_string();
                    if status == "blank" || status == "transmitting" {
                        line.sendable = true;
                    }
                }
            }
            (None, Err(error)) => {
                let message = error.to_string();
                assert!(
                    message.contains("status change refused, nothing was changed")
                        || message.contains("no payment line 9999"),
                    "{message}"
                );
                self.log.push(format!("  refused: {message}"));
            }
            (expected, result) => panic!(
                "status set {chosen:?} --to {target:?} (force {force}): model {expected:?}, engine {:?}",
                result.map(|v| v.len())
            ),
        }
        self.compare("status set");
    }

    fn export(&mut self, rng: &mut SplitMix64) {
        let zip = rng.below(2) == 0;
        self.log.push(format!("export zip={zip}"));
        let before = self.statuses();
        let report = self
            .engine
            .export(&self.out, zip, &self.calendar, time(NOW))
            .unwrap();
        let after = self.statuses();
        let mut sent_now = BTreeSet::new();
        for (id, (status, _, _)) in &after {
            let old = &before[id].0;
            if old == status {
                continue;
            }
            // Export changes only blank or transmitting lines, only to sent, and only lines that
            // may be sent (I7).
            assert!(
                (old == "blank" || old == "transmitting") && status == "sent",
                "export moved line {id} from {old} to {status}"
            );
            let line = self.lines.get_mut(id).unwrap();
            assert!(line.sendable, "I7: line {id} was exported again");
            line.status = status.clone();
            line.sendable = false;
            sent_now.insert(*id);
        }
        for file in &report.files {
            self.exports
                .push((file.path.clone(), file.scheme == "bs", None));
            check_money(&file.path, &after, &mut self.engine);
        }
        // I7: the lines of the files are exactly the lines that became sent (LS stop lines
        // send their cancellation and stay stop).
        let lines_in_files: usize = report.files.iter().map(|f| f.lines).sum();
        assert!(lines_in_files >= sent_now.len());
        if rng.below(2) == 0 {
            self.log.push("export again".into());
            let again = self
                .engine
                .export(&self.out, zip, &self.calendar, time(NOW))
                .unwrap();
            assert!(again.files.is_empty(), "I7: a second export sent files");
        }
        self.compare("export");
    }

    /// Answers to an exported file; a second simulation of the same file with another seed is
    /// a different file under the same delivery key, which the import must refuse (I4).
    fn simulate(&mut self, rng: &mut SplitMix64) {
        if self.exports.is_empty() {
            return;
        }
        let index = rng.below(self.exports.len() as u64) as usize;
        let (path, bs, answered) = self.exports[index].clone();
        let seed = rng.below(1_000);
        let ppm = |rng: &mut SplitMix64| (rng.below(5) * 100_000) as u32;
        let rates = BankRates {
            seed,
            reject_ppm: ppm(rng),
            cancel_ppm: ppm(rng),
            chargeback_ppm: ppm(rng),
            difference_ppm: ppm(rng),
        };
        let bytes = std::fs::read(&path).unwrap();
        let answers = simulate_answers(&path.display().to_string(), &bytes, &rates).unwrap();
        self.log
            .push(format!("simulate {} {rates:?}", path.display()));
        let files: Vec<Answer> = answers
            .into_iter()
            .map(|a| Answer {
                name: a.file_name.clone(),
                bytes: to_latin1(&a.text),
                bs,
            })
            .collect();
        match answered {
            None => {
                self.exports[index].2 = Some(seed);
                self.pending.extend(files);
            }
            Some(_) if bs => {
                // Same delivery key, other content: refused, nothing applied.
                let answer = &files[0];
                let known = self
                    .imported
                    .iter()
                    .chain(&self.pending)
                    .any(|a| a.name == answer.name && a.bytes == answer.bytes);
                let was_imported = self.imported.iter().any(|a| a.name == answer.name);
                if known || !was_imported {
                    return;
                }
                self.log
                    .push(format!("import contradicting {}", answer.name));
                let result = self
                    .engine
                    .import_delivery(&answer.name, &answer.bytes, time(LATER));
                let message = result.map(|r| format!("{r:?}")).unwrap_err().to_string();
                assert!(message.contains("with different content"), "I4: {message}");
                self.compare("contradicting answer");
            }
            Some(_) => {}
        }
    }

    /// Imports one of the pending answers, in any order.
    fn import_pending(&mut self, rng: &mut SplitMix64, later: NaiveDateTime) {
        if self.pending.is_empty() {
            return;
        }
        let answer = self
            .pending
            .remove(rng.below(self.pending.len() as u64) as usize);
        self.log.push(format!("import {}", answer.name));
        let before = self.statuses();
        let report = self
            .engine
            .import_delivery(&answer.name, &answer.bytes, later)
            .unwrap_or_else(|e| panic!("import {}: {e}", answer.name));
        // Two LS deliveries of the same charges on the same day are the same text (an LS
        // file carries no delivery id), and so are the bank's answers to them: the second
        // answer is the first one again (I4).
        let seen = self
            .imported
            .iter()
            .any(|a| a.name == answer.name && a.bytes == answer.bytes);
        if seen {
            assert_eq!(report.outcome, ImportOutcome::AlreadyImported);
            assert_eq!(report.changed, 0);
            self.compare("import of an answer seen before");
            return;
        }
        assert_eq!(report.outcome, ImportOutcome::Applied);
        let after = self.statuses();
        // The lines a BS answer may touch: those carrying a reference it names.
        let references: Option<BTreeSet<String>> = answer.bs.then(|| bs_references(&answer));
        for (id, (status, _, reference)) in &after {
            let old = &before[id].0;
            if old == status {
                continue;
            }
            assert!(
                ANSWER_STATUSES.contains(&status.as_str()),
                "the answer {} moved line {id} from {old} to {status}",
                answer.name
            );
            if let Some(references) = &references {
                assert!(
                    reference.as_ref().is_some_and(|r| references.contains(r)),
                    "the answer {} changed line {id}, which it does not name",
                    answer.name
                );
            }
            self.lines.get_mut(id).unwrap().status = status.clone();
        }
        self.imported.push(answer);
        self.compare("import");
    }

    /// The same file again: already imported, nothing changes (I4).
    fn resend(&mut self, rng: &mut SplitMix64, later: NaiveDateTime) {
        if self.imported.is_empty() {
            return;
        }
        let answer = self.imported[rng.below(self.imported.len() as u64) as usize].clone();
        self.log.push(format!("import again {}", answer.name));
        let report = self
            .engine
            .import_delivery(&answer.name, &answer.bytes, later)
            .unwrap();
        assert_eq!(report.outcome, ImportOutcome::AlreadyImported);
        assert_eq!(report.changed, 0);
        self.compare("import again");
    }

    /// The records of an imported BS answer again, in a delivery with another id: applied as
    /// a file, but no record changes a line a second time (I5).
    fn resend_in_another_file(&mut self, rng: &mut SplitMix64, later: NaiveDateTime) {
        let bs: Vec<Answer> = self.imported.iter().filter(|a| a.bs).cloned().collect();
        if bs.is_empty() {
            return;
        }
        let answer = &bs[rng.below(bs.len() as u64) as usize];
        let Delivery::Bs0602(mut delivery) = parse_delivery(&answer.name, &answer.bytes).unwrap()
        else {
            panic!("{} is not a BS 0602", answer.name);
        };
        self.resent_ids += 1;
        delivery.delivery_id = 9_000_000 + self.resent_ids;
        let text = Delivery::Bs0602(delivery).render().unwrap();
        let name = format!("{}-resent-{}", answer.name, self.resent_ids);
        self.log
            .push(format!("import {name} (same records, new delivery id)"));
        let report = self
            .engine
            .import_delivery(&name, &to_latin1(&text), later)
            .unwrap();
        assert_eq!(report.outcome, ImportOutcome::Applied);
        assert_eq!(report.changed, 0, "I5: a re-sent record changed a line");
        self.compare("re-sent records");
    }
}

/// The references of the payment records of a BS 0602 answer.
fn bs_references(answer: &Answer) -> BTreeSet<String> {
    let Ok(Delivery::Bs0602(delivery)) = parse_delivery(&answer.name, &answer.bytes) else {
        panic!("{} is not a BS 0602", answer.name);
    };
    delivery
        .sections
        .iter()
        .flat_map(|s| s.records.iter())
        .filter_map(|r| match r {
            Bs0602Record::Payment(p) => Some(p.reference.trim().to_string()),
            Bs0602Record::SlipPayment(_) => None,
            _ => None,
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// I8 through the export: each BS charge (042 record) of the file is the sum of the amounts
/// of the lines carrying its reference; an LS file's payments add up to its lines.
fn check_money(
    path: &Path,
    lines: &BTreeMap<i64, (String, String, Option<String>)>,
    engine: &mut Engine,
) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    let text = if engine::exchange::files::is_zip(&bytes) {
        engine::exchange::files::read_single_entry(&name, &bytes)
            .unwrap()
            .1
    } else {
        bytes
    };
    let views = engine.list(&LineFilter::default()).unwrap();
    match parse_delivery(&name, &text).unwrap() {
        Delivery::Bs0601(d) => {
            for payment in d.sections.iter().flat_map(|s| s.payments.iter()) {
                let reference = payment.reference.trim();
                let sum: i64 = views
                    .iter()
                    .filter(|v| v.reference.as_deref() == Some(reference))
                    .map(|v| v.amount.ore())
                    .sum();
                assert_eq!(
                    payment.amount.ore(),
                    sum,
                    "I8: charge {reference} in {name} is not the sum of its lines"
                );
                assert!(lines.values().any(|l| l.2.as_deref() == Some(reference)));
            }
        }
        Delivery::Ls40(_) => {}
        other => panic!("{name}: exported a {}", other.type_name()),
    }
}

fn run_case(template: &Path, seed: u64, steps: usize) {
    let tmp = TempDir::new("model-case");
    copy_database(template, tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let db = tmp.path().join("payrun.db");
    let mut case = Case {
        engine: Engine::open(&db, None).unwrap(),
        calendar: Calendar::danish(),
        out,
        lines: BTreeMap::new(),
        exports: Vec::new(),
        pending: Vec::new(),
        imported: Vec::new(),
        log: Vec::new(),
        resent_ids: 0,
    };
    let mut rng = SplitMix64::new(seed);
    // Every case starts from a suggested run, so there is something to change.
    case.engine
        .suggest(&case.calendar, time(NOW), false)
        .unwrap();
    case.adopt_new_lines();
    for step in 0..steps {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            case.step(&mut rng);
            let report = engine::verify::verify_database(&db).unwrap();
            let failed: Vec<String> = report
                .checks
                .iter()
                .filter(|c| !c.ok)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            assert!(failed.is_empty(), "verify: {}", failed.join("; "));
        }));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "model case with seed {seed} failed at step {step} (replay: PAYRUN_MODEL_SEED={seed}):\n{message}\nsteps:\n  {}",
                case.log.join("\n  ")
            );
        }
    }
}

#[test]
fn the_engine_follows_the_model_of_the_status_machine_and_the_exchange() {
    let template = template();
    let db = template.path();
    if let Some(seed) = env_number("PAYRUN_MODEL_SEED") {
        let steps = env_number("PAYRUN_MODEL_STEPS").unwrap_or(STEPS as u64) as usize;
        run_case(db, seed, steps);
        return;
    }
    let cases = env_number("PAYRUN_MODEL_CASES").unwrap_or(CASES);
    let steps = env_number("PAYRUN_MODEL_STEPS").unwrap_or(STEPS as u64) as usize;
    for seed in 1..=cases {
        run_case(db, seed, steps);
    }
    eprintln!("model: {cases} cases × {steps} steps passed");
}

/// The model's table agrees with domain.md §6 on the rows that are easy to get wrong.
#[test]
fn the_model_table_is_the_specification() {
    use ManualTarget::*;
    assert_eq!(manual_model("sent", Blank, true, false), None);
    assert_eq!(manual_model("sent", Blank, true, true), Some("blank"));
    assert_eq!(manual_model("sent", Stop, false, false), Some("stop"));
    assert_eq!(manual_model("sent", Stop, true, true), None);
    assert_eq!(manual_model("blank", Blank, true, true), None);
    assert_eq!(
        manual_model("rejected", Resend, true, false),
        Some("transmitting")
    );
    assert_eq!(manual_model("received", Resend, true, false), None);
    assert_eq!(manual_model("waiting", Waiting, false, false), None);
}

/// Regression (found by the model test, seed 6): an LS file has no delivery id, so the
/// archive keyed an exported LS file by a hash of its content and its day. Sending the same
/// LS charge again on the same day (a sent line set back to blank, or a rejected one resent)
/// wrote an identical file, hit the archive's unique key and failed the whole export with
/// "the export counter was changed by hand".
#[test]
fn an_ls_charge_sent_again_the_same_day_is_exported_again() {
    let template = template();
    let tmp = TempDir::new("model-ls-again");
    copy_database(template.path(), tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut engine = Engine::open(tmp.path().join("payrun.db"), None).unwrap();
    let calendar = Calendar::danish();
    let now = time(NOW);
    engine.suggest(&calendar, now, false).unwrap();
    engine.collect(&calendar, now).unwrap();
    let first = engine.export(&out, false, &calendar, now).unwrap();
    let ls_file = first.files.iter().find(|f| f.scheme == "ls").unwrap();
    let ls_lines: Vec<i64> = engine
        .list(&LineFilter::default())
        .unwrap()
        .iter()
        .filter(|l| l.format == "LS" && l.status == "sent")
        .map(|l| l.line)
        .collect();
    assert!(!ls_lines.is_empty());
    engine
        .set_status(&ls_lines, ManualTarget::Blank, false, now)
        .unwrap();
    let again = engine.export(&out, false, &calendar, now).unwrap();
    let ls_again = again.files.iter().find(|f| f.scheme == "ls").unwrap();
    assert_ne!(ls_again.delivery_id, ls_file.delivery_id);
    assert_eq!(
        std::fs::read(&ls_again.path).unwrap(),
        std::fs::read(&ls_file.path).unwrap(),
        "the same charges on the same day make the same LS file"
    );
    let report = engine::verify::verify_database(tmp.path().join("payrun.db")).unwrap();
    assert!(report.ok, "{report:?}");
}

/// One random entry: debtor (of 4), due date (of 4 June banking days), amount in øre
/// (credit notes included), and whether it has a partial payment… kept simple: the amount.
fn entry_strategy() -> impl proptest::strategy::Strategy<Value = (usize, usize, i64)> {
    use proptest::prelude::*;
    (
        0..4_usize,
        0..4_usize,
        prop_oneof![
            4 => 1_i64..5_000_000,
            1 => -300_000_i64..-1,
        ],
    )
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: std::env::var("PAYRUN_MONEY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// I8 through the export: each 042 record's amount is exactly the sum of the amounts of
    /// the lines of its charge, read back from the exported 0601; the file's total is the sum
    /// of its records; and every line of a charge is sent with the charge's reference.
    #[test]
    fn every_charge_in_the_export_is_the_sum_of_its_lines(
        entries in proptest::collection::vec(entry_strategy(), 1..24),
    ) {
        use engine::model::Scheme;
        let tmp = TempDir::new("model-money");
        let db = tmp.path().join("payrun.db");
        let mut engine = Engine::init(&db, None, Some("Money A/S")).unwrap();
        engine
            .add_format(&engine::payment_format::with_defaults("BS", Scheme::Bs, "09990001", "99887766"))
            .unwrap();
        let mut debtors = String::from("account,name,payment_format\n");
        let mut mandates = String::from("mandate_id,debtor,payment_format,status,agreement,start_date\n");
        for d in 0..4 {
            debtors += &format!("1001{d:02},Debtor {d},BS\n");
            mandates += &format!("1001{d:02},1001{d:02},BS,enrolled,00000000{},2025-01-01\n", d + 1);
        }
        engine.import_debtors("debtors.csv", &debtors).unwrap();
        engine.import_mandates("mandates.csv", &mandates).unwrap();
        let dates = ["2026-06-02", "2026-06-10", "2026-06-15", "2026-06-22"];
        let mut csv = String::from("entry_id,debtor,due_date,amount,invoice\n");
        for (i, (debtor, date, ore)) in entries.iter().enumerate() {
            let amount = ledger::Amount::from_ore(*ore);
            csv += &format!("E{i},1001{debtor:02},{},{amount},{}\n", dates[*date], 5000 + i);
        }
        engine.import_entries("entries.csv", &csv).unwrap();
        let calendar = Calendar::danish();
        let now = time(NOW);
        engine.suggest(&calendar, now, false).unwrap();
        engine.collect(&calendar, now).unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let report = engine.export(&out, false, &calendar, now).unwrap();
        let views = engine.list(&LineFilter::default()).unwrap();
        let mut charged_lines = 0;
        for file in &report.files {
            let bytes = std::fs::read(&file.path).unwrap();
            let Delivery::Bs0601(d) = parse_delivery("export", &bytes).unwrap() else {
                panic!("not a 0601");
            };
            let mut total = 0_i64;
            for payment in d.sections.iter().flat_map(|s| s.payments.iter()) {
                let reference = payment.reference.trim();
                let lines: Vec<_> = views
                    .iter()
                    .filter(|v| v.reference.as_deref() == Some(reference))
                    .collect();
                proptest::prop_assert!(!lines.is_empty());
                charged_lines += lines.len();
                let sum: i64 = lines.iter().map(|v| v.amount.ore()).sum();
                proptest::prop_assert_eq!(payment.amount.ore(), sum, "charge {}", reference);
                proptest::prop_assert!(lines.iter().all(|v| v.status == "sent"));
                total += payment.amount.ore();
            }
            proptest::prop_assert_eq!(total, file.amount.ore());
        }
        // A debtor and date whose entries add up to a collection is charged, so the checks
        // above ran on something.
        let mut net: BTreeMap<(usize, usize), i64> = BTreeMap::new();
        for (debtor, date, ore) in &entries {
            *net.entry((*debtor, *date)).or_default() += ore;
        }
        if net.values().any(|n| *n > 0) {
            proptest::prop_assert!(charged_lines > 0, "nothing was charged");
        }
        // Every sent line is in exactly one charge of the files.
        let sent = views.iter().filter(|v| v.status == "sent").count();
        proptest::prop_assert_eq!(sent, charged_lines);
        let verified = engine::verify::verify_database(&db).unwrap();
        proptest::prop_assert!(verified.ok, "{:?}", verified);
    }
}

/// Regression (found by the model test, seed 17 of a 300 × 40 run): a rejected line set back
/// to blank (or resent) after `suggest` had proposed a new line for its entry made two live
/// lines of one entry — I8 broken, and `payrun verify` failing — until the next `collect`.
/// The change is now refused; setting the new line to waiting first lets it through.
#[test]
fn resending_a_rejected_line_whose_entry_has_a_new_line_is_refused() {
    let template = template();
    let tmp = TempDir::new("model-i8-resend");
    copy_database(template.path(), tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let db = tmp.path().join("payrun.db");
    let mut engine = Engine::open(&db, None).unwrap();
    let calendar = Calendar::danish();
    let now = time(NOW);
    engine.suggest(&calendar, now, false).unwrap();
    engine.collect(&calendar, now).unwrap();
    let export = engine.export(&out, false, &calendar, now).unwrap();
    let bs = export.files.iter().find(|f| f.format == "BS").unwrap();
    let rates = BankRates {
        reject_ppm: 1_000_000,
        ..BankRates::default()
    };
    let bytes = std::fs::read(&bs.path).unwrap();
    for answer in simulate_answers("bs", &bytes, &rates).unwrap() {
        engine
            .import_delivery(&answer.file_name, &to_latin1(&answer.text), time(LATER))
            .unwrap();
    }
    let lines = engine.list(&LineFilter::default()).unwrap();
    let rejected = lines
        .iter()
        .find(|l| l.status == "rejected")
        .unwrap()
        .clone();
    engine.suggest(&calendar, now, false).unwrap();
    let fresh = engine
        .list(&LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|l| l.entry == rejected.entry && l.line != rejected.line)
        .expect("suggest proposes a new line for the rejected entry");
    for target in [ManualTarget::Blank, ManualTarget::Resend] {
        let message = engine
            .set_status(&[rejected.line], target, false, now)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "status change refused, nothing was changed: line {}: its entry is already on live line {}: set that line to waiting first, or the debtor may be charged twice (entry-on-other-line)",
                rejected.line, fresh.line
            )
        );
    }
    // Both at once is refused too; the new line set aside first lets the resend through.
    assert!(engine
        .set_status(
            &[rejected.line, fresh.line],
            ManualTarget::Blank,
            false,
            now
        )
        .is_err());
    engine
        .set_status(&[fresh.line], ManualTarget::Waiting, false, now)
        .unwrap();
    engine
        .set_status(&[rejected.line], ManualTarget::Resend, false, now)
        .unwrap();
    let report = engine::verify::verify_database(&db).unwrap();
    assert!(report.ok, "{report:?}");
}
