//! The one integration-test binary: it drives the real `payrun` binary and the library.
//! Modules are grouped by command area; fixtures live in `tests/data/`.

mod bench;
mod calendar;
mod concurrency;
mod crash;
mod cycle;
mod demo;
mod exchange;
mod fuzzish;
mod generate;
mod journal;
mod model;
mod run;
mod scenario;
mod security;
mod support;
