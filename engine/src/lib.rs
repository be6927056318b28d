//! Direct debit.
#![forbid(unsafe_code)]

pub mod api;
pub mod csv_import;
pub mod error;
pub mod model;
pub mod payment_format;
pub mod store;

pub use error::{Error, Result};
pub use store::{CompanyKey, LineFilter, NewLineRow, Store};
