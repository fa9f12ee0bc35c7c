//! Shared code: `import "name" as m;` resolves only from the `lib/` folder inside the scripts
//! folder. Names are checked like page names (no dots, no slashes, so no `..` and no absolute
//! path), the file must really lie in `lib/` (a symlink out is refused), and nothing is fetched
//! from the network. Each module is compiled and evaluated once and cached until the watcher
//! says `lib/` changed.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

use super::name::PageName;

/// The folder of a scripts folder that holds its modules.
pub const LIB_FOLDER: &str = "lib";

/// The modules of one scripts folder, compiled on first import.
#[derive(Default)]
pub struct Library {
    /// `lib/` (canonical), or `None` when the scripts folder has none.
    folder: Option<PathBuf>,
    cache: RwLock<HashMap<String, Shared<Module>>>,
    /// Bumped by every change, so a module compiled from an older file is not cached after it.
    generation: AtomicU64,
}

impl Library {
    /// The `lib/` folder of the scripts at `scripts` (a folder, or the folder of one script).
    pub fn for_scripts(scripts: &Path) -> Self {
        let folder = if scripts.is_file() { scripts.parent().unwrap_or(Path::new(".")) } else { scripts };
        Self { folder: folder.join(LIB_FOLDER).canonicalize().ok(), ..Self::default() }
    }

    pub fn folder(&self) -> Option<&Path> {
        self.folder.as_deref()
    }

    /// The module a changed path is, if it is a `.rhai` file directly in `lib/`.
    pub fn module_of(&self, path: &Path) -> Option<String> {
        let folder = self.folder.as_deref()?;
        (path.parent()? == folder).then_some(())?;
        super::registry::page_name_of(path).map(|n| n.to_string())
    }

    /// Forgets every compiled module: the next import reads the files again.
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        crate::sync::write(&self.cache).clear();
    }

    /// The file of module `name`, if the name is valid and the file lies inside `lib/`.
    pub fn file_of(&self, name: &str) -> Result<PathBuf, String> {
        let folder = self.folder.as_deref().ok_or("there is no `lib/` folder in the scripts folder")?;
        let name = PageName::parse(name).map(|n| n.to_string()).ok_or_else(|| {
            format!("module names are letters, digits, `_` and `-` (a file in `lib/`, without `.rhai`), not {name:?}")
        })?;
        let file = folder.join(format!("{name}.rhai"));
        match file.canonicalize() {
            Ok(real) if real.parent() == Some(folder) => Ok(real),
            Ok(_) => Err(format!("module {name:?} leads outside `lib/`")),
            Err(_) => Err(format!("there is no module {name:?} in `lib/`")),
        }
    }

    /// The names of the modules in `lib/`, sorted.
    pub fn modules(&self) -> Vec<String> {
        let Some(folder) = &self.folder else { return vec![] };
        let files = super::registry::script_files(folder).unwrap_or_default();
        files.iter().filter_map(|f| super::registry::page_name_of(f)).map(|n| n.to_string()).collect()
    }

    /// Compiles and evaluates module `name` (no cache).
    pub fn load(&self, engine: &Engine, name: &str, pos: Position) -> Result<Module, Box<EvalAltResult>> {
        let file = self.file_of(name).map_err(|message| EvalAltResult::ErrorRuntime(message.into(), pos))?;
        let source = std::fs::read_to_string(&file)
            .map_err(|_| EvalAltResult::ErrorRuntime(format!("module {name:?} could not be read").into(), pos))?;
        let mut ast =
            engine.compile(&source).map_err(|err| EvalAltResult::ErrorInModule(name.into(), err.into(), pos))?;
        ast.set_source(format!("lib/{name}.rhai"));
        Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|err| EvalAltResult::ErrorInModule(name.into(), err, pos).into())
    }

    /// The modules that `changed` reaches through imports among the modules, itself included.
    pub fn affected_by(&self, changed: &str) -> BTreeSet<String> {
        let mut affected = BTreeSet::from([changed.to_owned()]);
        let sources: Vec<(String, String)> = self
            .modules()
            .into_iter()
            .filter_map(|m| Some((m.clone(), std::fs::read_to_string(self.file_of(&m).ok()?).ok()?)))
            .collect();
        loop {
            let before = affected.len();
            for (module, source) in &sources {
                if imports_in(source).iter().any(|i| affected.contains(&i.name)) {
                    affected.insert(module.clone());
                }
            }
            if affected.len() == before {
                return affected;
            }
        }
    }
}

/// Resolves `import` for the engine from a shared [`Library`].
pub struct LibResolver(pub Arc<Library>);

impl ModuleResolver for LibResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let library = &self.0;
        if let Some(module) = crate::sync::read(&library.cache).get(path) {
            return Ok(module.clone());
        }
        let generation = library.generation.load(Ordering::SeqCst);
        let module: Shared<Module> = library.load(engine, path, pos)?.into();
        let mut cache = crate::sync::write(&library.cache);
        if library.generation.load(Ordering::SeqCst) == generation {
            cache.insert(path.to_owned(), module.clone());
        }
        Ok(module)
    }
}

/// One `import "name"` in a source text, with its line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub name: String,
    pub line: usize,
    pub column: usize,
}

/// The modules a source imports, found by reading `import "…"` statements (a mention in a
/// comment counts too: at worst a page reruns once more than needed).
pub fn imports_in(source: &str) -> Vec<Import> {
    let mut found = vec![];
    for (i, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("import") {
            let column = line.len() - rest.len() + at + 1;
            let after = rest[at + "import".len()..].trim_start();
            rest = &rest[at + "import".len()..];
            let Some(quoted) = after.strip_prefix('"') else { continue };
            if let Some((name, _)) = quoted.split_once('"') {
                found.push(Import { name: name.to_owned(), line: i + 1, column });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with_lib(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("runnel-lib-{}", crate::session_store::random_token()));
        std::fs::create_dir_all(dir.join("scripts/lib")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn traversal_absolute_paths_and_other_folders_are_refused() {
        let dir =
            folder_with_lib(&[("secret.rhai", "fn leak() { 1 }"), ("scripts/lib/helpers.rhai", "fn one() { 1 }")]);
        let library = Library::for_scripts(&dir.join("scripts"));
        assert!(library.file_of("helpers").is_ok());
        for bad in [
            "../secret",
            "../../secret",
            "/etc/passwd",
            "lib/helpers",
            "helpers.rhai",
            "",
            ".helpers",
            "https://example.com/x",
        ] {
            assert!(library.file_of(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(library.file_of("missing").unwrap_err().contains("no module"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_symlink_that_leads_out_of_lib_is_refused() {
        let dir = folder_with_lib(&[("secret.rhai", "fn leak() { 1 }")]);
        std::os::unix::fs::symlink(dir.join("secret.rhai"), dir.join("scripts/lib/sneaky.rhai")).unwrap();
        let library = Library::for_scripts(&dir.join("scripts"));
        assert!(library.file_of("sneaky").unwrap_err().contains("outside"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_import_runs_the_module_from_lib_and_a_bad_name_is_an_error() {
        let dir = folder_with_lib(&[("scripts/lib/helpers.rhai", "fn double(x) { x * 2 }")]);
        let library = Arc::new(Library::for_scripts(&dir.join("scripts")));
        let mut engine = Engine::new();
        engine.set_module_resolver(LibResolver(library));
        assert_eq!(engine.eval::<i64>("import \"helpers\" as h; h::double(21)").unwrap(), 42);
        let err = engine.eval::<i64>("import \"../secret\" as s; 1").unwrap_err();
        assert!(err.to_string().contains("module names are"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn imports_are_found_with_their_position_and_followed_through_modules() {
        let found = imports_in("let a = 1;\n  import \"helpers\" as h;\nimport \"b\" as b; import\"c\" as c;");
        let names: Vec<&str> = found.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["helpers", "b", "c"]);
        assert_eq!((found[0].line, found[0].column), (2, 3));
        let dir = folder_with_lib(&[
            ("scripts/lib/base.rhai", "fn one() { 1 }"),
            ("scripts/lib/mid.rhai", "import \"base\" as b;"),
            ("scripts/lib/other.rhai", "fn two() { 2 }"),
        ]);
        let library = Library::for_scripts(&dir.join("scripts"));
        assert_eq!(library.affected_by("base"), BTreeSet::from(["base".to_owned(), "mid".to_owned()]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
