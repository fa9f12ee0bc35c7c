//! Scripts: safe page names, the sandboxed engine (built once), the registry of compiled
//! scripts, and the runner that does one run without knowing about HTTP or stores.

pub mod diagnostic;
pub mod engine;
pub mod library;
pub mod meta;
pub mod name;
pub mod registry;
pub mod runner;

/// A run's progressive output, for the host that watches a run and the route that streams it.
pub use crate::widgets::live;
pub use engine::build_engine;
pub use meta::{Access, Gate, PageMeta};
pub use name::PageName;
pub use registry::{CompiledScript, Registry};
pub use runner::{RunOutput, RunRequest, Runner};
