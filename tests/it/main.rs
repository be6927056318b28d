//! The one integration-test binary: it drives the real `payrun` binary and the library.
//! Modules are grouped by command area; fixtures live in `tests/data/`.

mod bench;
mod calendar;
mod cycle;
mod demo;
mod exchange;
mod generate;
mod journal;
mod run;
mod support;
