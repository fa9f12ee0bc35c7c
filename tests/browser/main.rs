//! Browser tests in real headless Chromium against a running host: clicks and typing with and
//! without JavaScript, the building blocks, logout (DESIGN.md, invariant 3) and hot reload.

#[path = "../support/mod.rs"]
mod support;

mod auth;
mod base_path;
mod blocks;
mod charts;
mod chat;
mod fragments;
mod inputs;
mod interaction;
mod media;
mod pages;
mod patches;
mod progress;
mod proxy;
mod reload;
mod second_factor;
mod sessions;
mod status;
mod text_layout;
mod uploads;
mod widths;

use std::time::Duration;

use support::chromium::Page;

/// Upper bound for every wait on the page (generous: a machine busy compiling is slow).
pub const WAIT: Duration = Duration::from_secs(20);

/// Waits for the page's scripts to have run (`window.Runnel` is set by static/runnel.js).
pub fn wait_for_runnel(page: &Page) {
    page.wait_until("typeof window.Runnel === 'object' && typeof Idiomorph === 'object'", WAIT);
}

/// `text` as a JavaScript string literal.
pub fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}
