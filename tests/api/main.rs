//! Black-box tests over a real server on port 0, and of the `runnel` command line. Every test in
//! `both_stores!` runs twice: on the in-memory store and on a private `redis-server` started for
//! the test.

#[path = "../support/mod.rs"]
mod support;

mod accounts;
mod audit;
mod auth;
mod auth_faults;
mod auth_forms;
mod auth_support;
mod base_path;
mod binary;
mod blocks;
mod chat;
mod cli;
mod client;
mod cluster;
mod connections;
mod errors;
mod fragments;
mod frames;
mod headers;
mod inputs;
mod interaction;
mod live;
mod locks;
mod logs;
mod media;
mod metrics;
mod multipage;
mod outage;
mod pages;
mod patches;
mod progress;
mod proxy;
mod recovery;
mod revocation;
mod rotation;
mod second_factor;
mod services;
mod session_reset;
mod sessions;
mod shutdown;
mod status;
mod uploads;
mod visitors;
mod waits;

pub use client::{Session, start, start_with};
pub use support::{RedisServer, StoreKind, TestApp};

/// Generates a `memory` and a `redis` test from one `async fn name(kind: StoreKind)`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod on_memory {
            $(#[tokio::test] async fn $name() { super::$name($crate::StoreKind::Memory).await })*
        }
        mod on_redis {
            $(#[tokio::test] async fn $name() { super::$name($crate::StoreKind::Redis).await })*
        }
    };
}
