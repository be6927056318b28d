//! Direct debit.
#![forbid(unsafe_code)]
pub mod delivery;
