//! Direct debit.
#![forbid(unsafe_code)]

pub mod clock;
pub mod generate;
pub mod model;
