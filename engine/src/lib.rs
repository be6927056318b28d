//! Direct debit.
#![forbid(unsafe_code)]

mod testdata;
pub mod charge;
pub mod clock;
pub mod collect;
pub mod delivery;
pub mod generate;
pub mod model;
pub mod status;
pub mod suggest;
pub mod validate;

#[cfg(test)]
