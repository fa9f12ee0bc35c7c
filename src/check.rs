//! `runnel check`: compiles every script and reports each error as `file:line:col: message`.

use std::path::Path;

use crate::config::ScriptLimits;
use crate::script::registry::{page_name_of, script_files};
use crate::script::{CompiledScript, PageName, build_engine};

/// Prints every compile error; returns how many scripts failed.
pub fn check(path: &Path, out: &mut impl std::io::Write) -> anyhow::Result<usize> {
    let engine = build_engine(&ScriptLimits::default());
    let mut failed = 0;
    for file in script_files(path)? {
        let source = std::fs::read_to_string(&file)?;
        // A single file given by hand may not be a valid page name; it is still checked.
        let name = page_name_of(&file).unwrap_or_else(|| PageName::parse("script").expect("valid"));
        let compiled = CompiledScript::compile(&engine, name, file.clone(), source);
        if let Err(err) = &compiled.program {
            failed += 1;
            let (line, col) = (err.line.unwrap_or(0), err.column.unwrap_or(0));
            writeln!(out, "{}:{line}:{col}: {}", file.display(), err.message)?;
        }
    }
    Ok(failed)
}
