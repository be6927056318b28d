//! The one integration-test binary: it drives the real `payrun` binary and the library.
//! Modules are grouped by command area; fixtures live in `tests/data/`.

mod bench;
mod calendar;
mod exchange;
mod generate;
mod run;
mod support;
