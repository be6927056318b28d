//! What every command shares: logging, the clock and the calendar.

use crate::args::Global;
use anyhow::Context as _;
use chrono::NaiveDateTime;

pub fn init_logging(global: &Global) {
    let default = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// `--now`, or the system clock in Danish local time.
pub fn now(global: &Global) -> NaiveDateTime {
    global.now.unwrap_or_else(engine::clock::now_in_denmark)
}

/// The largest `--closing-days` file read: a list of dates and names, even a century of
/// them, is a few kilobytes (reliability.md: every input has a stated limit).
pub const MAX_CLOSING_DAYS_BYTES: u64 = 1024 * 1024;

/// The Danish banking calendar, with `--closing-days` merged in.
pub fn calendar(global: &Global) -> anyhow::Result<bankcal::Calendar> {
    let calendar = bankcal::Calendar::danish();
    let Some(path) = &global.closing_days else {
        return Ok(calendar);
    };
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read closing days file '{}'", path.display()))?
        .len();
    if size > MAX_CLOSING_DAYS_BYTES {
        anyhow::bail!(
            "closing days file '{}' is {size} bytes: a list of closing days is at most {MAX_CLOSING_DAYS_BYTES} bytes; check that this is the right file",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read closing days file '{}'", path.display()))?;
    let days = bankcal::parse_closing_days_csv(&path.display().to_string(), &text)?;
    Ok(calendar.with_extra_closing_days(&days)?)
}

/// Opens the database in `--db` and the company of `--company` (or the only one).
pub fn open(global: &Global) -> anyhow::Result<engine::api::Engine> {
    Ok(engine::api::Engine::open(
        &global.db,
        global.company.as_deref(),
    )?)
}
