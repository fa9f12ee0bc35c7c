//! The rerun loop without HTTP: widget semantics and the dashboard building blocks through the
//! headless harness, and the file watcher on the real file system.

#[path = "../support/mod.rs"]
mod support;

mod blocks;
mod harness;
mod hot_reload;
mod inputs;
