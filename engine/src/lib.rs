//! Direct debit.
#![forbid(unsafe_code)]

pub mod charge;
pub mod model;
pub mod status;

#[cfg(test)]
mod testdata;
