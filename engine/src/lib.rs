//! Direct debit.
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
