//! Direct debit.
#![forbid(unsafe_code)]
