//! Progress bars on stderr for long work (imports, export, generation, the bank simulator):
//! drawn only when stderr is a terminal and `--quiet` is not given, silent otherwise, so
//! scripts and logs see nothing of them.

use crate::args::Global;
use indicatif::{ProgressBar, ProgressStyle};

/// A bar for one operation; feed it the engine's `(done, total)` calls through [`Bar::update`].
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar labelled `what` (e.g. `importing entries.csv`) counting `unit`s (`bytes`,
    /// `rows`, `charges`, `files`).
    pub fn new(global: &Global, what: &str, unit: Unit) -> Bar {
        let show = !global.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = show.then(|| {
            let template = match unit {
                Unit::Bytes => {
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}".to_string()
                }
                Unit::Count(name) => {
                    format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {name} eta {{eta}}")
                }
            };
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(what.to_string());
            bar
        });
        Bar { bar }
    }

    /// The engine's progress callback.
    pub fn update(&self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            if bar.length() != Some(total) {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    /// Removes the bar, so the command's own output follows on a clean line.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a bar counts.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Bytes,
    Count(&'static str),
}
