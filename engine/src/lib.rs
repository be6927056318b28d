//! `engine`: direct debit through Betalingsservice (BS) and Leverandørservice (LS).
//!
//! It owns payment formats, mandates and payment lines, the rules of a payment run, and the
//! files exchanged with Mastercard. Its parts, from the pure core outwards:
//!
//! - [`model`]: the domain values — [`model::PaymentFormat`], [`model::Debtor`] (with
//!   [`model::TaxId`], which masks CPR numbers), [`model::Mandate`], [`model::PaymentLine`],
//!   [`model::Status`], and [`model::RunData`], one company's run in memory.
//! - The pure core, functions of `RunData`, a [`bankcal::Calendar`] and "now" (Danish local
//!   time, see [`clock`]): [`suggest`], [`validate`] (every rule with its stable code),
//!   [`collect`] (collective payments), [`status`] (the status machine as a table),
//!   [`charge`] (the amount to charge).
//! - [`delivery`]: the fixed-width bank files, parsed and written, pure.
//! - [`store`]: SQLite — schema, migrations, CSV imports, the run's reads and writes.
//! - [`api::Engine`]: one company of one database, the entry point for ERP hosts; its
//!   methods live in [`api`], [`run`], [`exchange`] and [`journal_api`].
//! - [`verify`]: the invariants of `reliability.md`, checked on a database.
//!
//! Validating a run held in memory, without a database:
//!
//! ```
//! use engine::model::{RunData, Scheme};
//! use engine::{payment_format, validate};
//!
//! let mut run = RunData::default();
//! let format = payment_format::with_defaults("BS", Scheme::Bs, "09990001", "99887766");
//! run.formats.insert(format.id.clone(), format);
//! let now = chrono::NaiveDate::from_ymd_opt(2026, 5, 4)
//!     .unwrap()
//!     .and_hms_opt(9, 0, 0)
//!     .unwrap();
//! let results = validate::validate(&run, &bankcal::Calendar::danish(), now);
//! assert!(results.is_empty()); // no payment lines yet
//! ```
//!
//! `examples/embed.rs` in the workspace runs the whole cycle through [`api::Engine`].
#![forbid(unsafe_code)]

pub mod api;
pub mod charge;
pub mod clock;
pub mod collect;
pub mod csv_import;
pub mod delivery;
pub mod error;
pub mod exchange;
pub mod generate;
pub mod journal_api;
pub mod model;
pub mod payment_format;
pub mod progress;
pub mod rng;
pub mod run;
pub mod status;
pub mod store;
pub mod suggest;
pub mod validate;
pub mod verify;
pub mod view;

#[cfg(test)]
mod testdata;

pub use error::{Error, Result};
pub use store::{CompanyKey, LineFilter, NewLineRow, Store};
