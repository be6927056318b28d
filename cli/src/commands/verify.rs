//! `payrun verify`: the invariants of reliability.md, checked on the whole database.

use crate::args::Global;
use crate::output::outln;
use crate::{context, output, Outcome};

/// With `--closing-days`, I9 knows the extra closing days too.
pub fn run(global: &Global) -> anyhow::Result<Outcome> {
    let calendar = context::calendar(global)?;
    let report = engine::verify::verify_database_with(&global.db, &calendar)?;
    if global.json {
        output::print_json(&report)?;
    } else {
        for check in &report.checks {
            let mark = if check.ok { "ok  " } else { "FAIL" };
            outln!("{mark}  {}: {}", check.name, check.detail);
        }
        let failed = report.checks.iter().filter(|c| !c.ok).count();
        if failed == 0 {
            outln!("All {} checks hold.", report.checks.len());
        } else {
            outln!("{failed} of {} checks failed.", report.checks.len());
        }
    }
    Ok(if report.ok {
        Outcome::Done
    } else {
        Outcome::Attention
    })
}
