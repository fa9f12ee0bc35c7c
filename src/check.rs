//! `runnel check`: compiles every script and every module of `lib/`, and reports each error
//! (a compile error, a bad page header, an import of a module that `lib/` lacks) as
//! `file:line:col: message`.

use std::path::Path;

use crate::config::ScriptLimits;
use crate::script::library::{Library, imports_in};
use crate::script::registry::{page_name_of, script_files};
use crate::script::{CompiledScript, PageName, build_engine};

/// Prints every error; returns how many scripts and modules failed.
pub fn check(path: &Path, out: &mut impl std::io::Write) -> anyhow::Result<usize> {
    let engine = build_engine(&ScriptLimits::default());
    let library = Library::for_scripts(path);
    let modules = library.folder().map(script_files).transpose()?.unwrap_or_default();
    let pages = script_files(path)?;
    let mut failed = 0;
    for (file, is_module) in pages.into_iter().map(|f| (f, false)).chain(modules.into_iter().map(|f| (f, true))) {
        let source = std::fs::read_to_string(&file)?;
        let mut errors = vec![];
        let compiled = if is_module {
            // A module has no page header: its `//!` lines are documentation.
            engine.compile(&source).err().map(|e| {
                let pos = e.position();
                (pos.line().unwrap_or(0), pos.position().unwrap_or(0), e.err_type().to_string())
            })
        } else {
            // A single file given by hand may not be a valid page name; it is still checked.
            let name = page_name_of(&file).unwrap_or_else(|| PageName::parse("script").expect("valid"));
            let compiled = CompiledScript::compile(&engine, name, file.clone(), source.clone());
            compiled.program.err().map(|e| (e.line.unwrap_or(0), e.column.unwrap_or(0), e.message))
        };
        errors.extend(compiled);
        for import in imports_in(&source) {
            if let Err(message) = library.file_of(&import.name) {
                errors.push((import.line, import.column, message));
            }
        }
        failed += usize::from(!errors.is_empty());
        for (line, col, message) in errors {
            writeln!(out, "{}:{line}:{col}: {message}", file.display())?;
        }
    }
    Ok(failed)
}
