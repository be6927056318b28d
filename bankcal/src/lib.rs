//! The Danish banking calendar.
#![forbid(unsafe_code)]
