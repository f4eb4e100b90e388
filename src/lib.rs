//! verdict-badges: live Ship/Skip verdict badges and widgets, with honest impression counts.
//!
//! # Layout
//!
//! Requests flow one way:
//!
//! ```text
//! request ─► http/ (axum routes, extractors, errors)
//!              ├─► catalog: slug ─► verdict      (store + quick_cache, invalidated on write)
//!              ├─► render: verdict + variant ─► SVG / PNG bytes   (byte-bounded cache, ETag)
//!              └─► tally: record(slug, kind, referrer)   (in memory, off the request path)
//!                          └─► flusher ─► store (SQLite default │ PostgreSQL) ─► stats
//! ```
//!
//! - [`config`]: every setting, read once from flags and `VERDICT_BADGES_*` variables.
//! - [`verdict`]: the verdict record and its validation; [`counts`]: what is counted, as types.
//! - [`store`]: the database (SQLite or PostgreSQL through one SQL dialect).
//! - [`catalog`]: verdicts by slug, cached in front of the store (or the [`origin`]).
//! - [`render`]: badge SVG and PNG rendering, and the share card; [`badge_cache`]: finished
//!   badges and share cards in memory.
//! - [`tally`]: in-memory counters, the rules of what counts, and the flusher.
//! - [`stats`]: counts read back as the contract's JSON, from aggregates.
//! - [`maintenance`]: flush-log pruning and referrer folding, beside the flusher.
//! - [`counts_file`]: `counts export` and `counts import` (CSV).
//! - [`chart`]: the owners' daily chart, laid out on the server for an inline SVG.
//! - [`auth`]: admin token and per-tool stats keys.
//! - [`http`]: the router, extractors, handlers and the one error type, and the service
//!   the server runs (badges answered beside the router); [`state`]: what every handler
//!   receives.
//! - [`app`]: wiring it all together; [`app::Application`] runs the server.
//! - [`server`]: the accept loop, with header timeouts and a connection cap.
//! - [`cli`]: the `verdict-badges` command line; [`malloc`]: allocator settings for the server.

#![warn(missing_docs)]

pub mod app;
pub mod auth;
pub mod badge_cache;
pub mod catalog;
pub mod chart;
pub mod cli;
pub mod config;
pub mod counts;
pub mod counts_file;
pub mod http;
pub mod maintenance;
pub mod malloc;
pub mod metrics;
pub mod origin;
pub mod render;
pub mod server;
pub mod state;
pub mod stats;
pub mod store;
pub mod tally;
pub mod text;
pub mod verdict;
