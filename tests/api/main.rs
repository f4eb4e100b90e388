//! The integration tests: one binary, driving the service through HTTP against a
//! real server on port 0, and the `verdict-badges` binary as a real process where
//! the behaviour is about processes (signals, exit codes).

mod aggregates;
mod badges;
mod browser;
mod chaos;
mod cli;
mod compare;
mod counting;
mod counts_file;
mod hardening;
mod headers;
mod helpers;
mod limits;
mod origin;
mod proxy;
mod scale;
mod scratch;
mod share;
mod stats;
mod store;
mod verdicts;
mod widget;
