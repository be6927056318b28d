//! payrun facade.
#![forbid(unsafe_code)]
pub use bankcal;
pub use engine;
pub use ledger;
