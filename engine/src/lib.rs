//! Direct debit.
#![forbid(unsafe_code)]

pub mod charge;
pub mod clock;
pub mod collect;
pub mod delivery;
pub mod generate;
pub mod model;
pub mod rng;
pub mod status;
pub mod suggest;
pub mod validate;

#[cfg(test)]
mod testdata;
