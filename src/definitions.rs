//! `runnel definitions`: writes Rhai definition files (`*.d.rhai`) for the whole script API,
//! so the Rhai language server and its editor extensions can autocomplete and check dashboards.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rhai::Scope;

use crate::config::ScriptLimits;
use crate::script::build_engine;
use crate::widgets::StateMap;

/// Writes the definition files into `dir` (created if needed); returns the files written.
pub fn write(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let engine = build_engine(&ScriptLimits::default());
    // `state` is resolved by name at run time; declare it so editors know it too.
    let mut scope = Scope::new();
    scope.push_constant("state", StateMap);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let definitions = engine.definitions_with_scope(&scope).with_headers(true).include_standard_packages(true);
    definitions.write_to_dir(dir).with_context(|| format!("writing definitions to {}", dir.display()))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".d.rhai"))
        .collect();
    files.sort();
    for file in &files {
        // Rhai prints fallible native functions' return types as a broken path; say "any".
        let text = std::fs::read_to_string(file)?;
        std::fs::write(file, text.replace("-> EvalAltResult>>", "-> ?"))?;
    }
    Ok(files)
}
