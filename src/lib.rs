//! Runnel: a Streamlit-like app host. Dashboards are Rhai scripts, rerun top to bottom on
//! every interaction with a per-session state map, and rendered to HTML on the server.
//!
//! A map of the crate, in the direction of its dependencies:
//! - [`config`]: settings from flags, environment and `runnel.toml`.
//! - [`page`]: the page tree, plain data between widgets and rendering.
//! - [`markup`]: text from scripts to sanitized HTML (markdown, labels, `html`, code).
//! - [`frame`]: data frames (Polars underneath): reading, operations, their script API.
//! - [`datasource`]: the read-only data folder and the cache shared by all runs.
//! - [`services`]: HTTP calls to allow-listed hosts, and the secrets file.
//! - [`session_state`]: what survives reruns, and applying a browser event to it.
//! - [`widgets`]: the script API (`title`, `button`, `slider`, `state`, …).
//! - [`script`]: page names, the sandboxed engine, the registry of compiled scripts, the runner.
//! - [`render`]: page tree -> HTML through askama templates.
//! - [`session_store`]: in-memory and Redis stores, session locks.
//! - [`auth`]: credentials file, password hashing, logins and their revocation, audit log.
//! - [`host`]: one interaction without HTTP: load the session, verify the viewer, apply the
//!   event, run, check the login again, persist; returns plain data.
//! - [`error`]: the one mapping from failures to HTTP answers; [`request_id`]: the id that
//!   names a request in the log and on its error page.
//! - [`routes`], [`startup`]: the HTTP host around all of it; routes extract, call, respond.
//! - [`hot_reload`]: the file watcher that recompiles saved scripts and tells browsers.
//! - [`admin`]: admin commands against a deployment (`runnel sessions end USER`).
//! - [`harness`]: run a script with widget values and inspect the page, without HTTP.
//! - [`sample`]: the large example dataset, made by `runnel sample-data`.
//! - [`failure`]: what the command line says when it cannot go on; [`password_prompt`]: the
//!   password of `runnel hash-password`.
//! - [`metrics`]: the numbers `/metrics` shows, recorded by every layer.
//! - [`base_path`]: the path prefix the host is served under (`--base-path`).
//! - [`sync`]: the one policy for poisoned locks; [`clock`]: the time login deadlines read.

/// Every binary that links the crate (the host, the tests, the benchmarks) allocates through
/// mimalloc: a rerun allocates and frees many small values, which glibc's malloc serves slowly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod admin;
#[cfg(test)]
mod architecture;
pub mod auth;
pub mod base_path;
pub mod check;
pub mod clock;
pub mod config;
pub mod datasource;
pub mod definitions;
pub mod error;
pub mod failure;
pub mod frame;
pub mod harness;
pub mod host;
pub mod hot_reload;
pub mod markup;
pub mod metrics;
pub mod page;
pub mod password_prompt;
pub mod render;
pub mod request_id;
pub mod routes;
pub mod sample;
pub mod script;
pub mod services;
pub mod session_state;
pub mod session_store;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod widgets;
