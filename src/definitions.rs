//! `runnel definitions`: writes Rhai definition files (`*.d.rhai`) for the whole script API and
//! for the modules in the scripts folder's `lib/`, so the Rhai language server and its editor
//! extensions can autocomplete and check dashboards (`import "helpers" as h; h::…`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rhai::{Position, Scope};

use crate::config::ScriptLimits;
use crate::script::build_engine;
use crate::script::library::Library;
use crate::widgets::StateMap;
use crate::widgets::secrets::Secrets;

/// Writes the definition files into `dir` (created if needed), with the modules of `scripts`'s
/// `lib/` folder; returns the files written.
pub fn write(dir: &Path, scripts: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut engine = build_engine(&ScriptLimits::default());
    let library = Arc::new(Library::for_scripts(scripts));
    for name in library.modules() {
        let module = library.load(&engine, &name, Position::NONE).map_err(|e| anyhow::anyhow!("module {name}: {e}"))?;
        engine.register_static_module(name.as_str(), module.into());
    }
    // `state` and `secrets` are resolved by name at run time; declare them so editors know them too.
    let mut scope = Scope::new();
    scope.push_constant("state", StateMap);
    scope.push_constant("secrets", Secrets::empty());
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
