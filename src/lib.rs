//! payrun: an embeddable engine for Danish direct-debit payment runs (Betalingsservice and
//! Leverandørservice of Mastercard Payment Services).
//!
//! This facade re-exports the crates an ERP host needs:
//!
//! - [`bankcal`]: the Danish banking calendar and the BS/LS delivery deadlines;
//! - [`ledger`]: money in øre ([`ledger::Amount`]), open debtor entries, journal drafts,
//!   posting and the immutable ledger;
//! - [`engine`]: payment formats, mandates, payment lines, validation, collective payments,
//!   the status machine, the bank files, and [`engine::api::Engine`], one company of one
//!   database, with a method for every `payrun` command.
//!
//! ```
//! let calendar = payrun::bankcal::Calendar::danish();
//! let payment_date = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
//! let deadline = calendar
//!     .bs_deadline(payment_date, false, payrun::bankcal::BS_DEFAULT_CUTOFF)
//!     .unwrap();
//! assert_eq!(deadline.to_string(), "2026-05-21 17:30:00");
//! ```
//!
//! `cargo run --example embed` runs the whole cycle from Rust; `cargo run --example
//! validate_in_memory` validates a run without a database.
#![forbid(unsafe_code)]
pub use bankcal;
pub use engine;
pub use ledger;
