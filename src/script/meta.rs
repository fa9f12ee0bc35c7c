//! Page metadata: the `//!` header block at the top of a script (title, icon, section, order,
//! hidden, default, login, roles), read once at compile time. An unknown key or a bad value is
//! an error shown on the page, never ignored.

use crate::session_state::Viewer;

/// What a page declares about itself in its header block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub title: Option<String>,
    pub icon: Option<String>,
    pub section: Option<String>,
    /// Navigation order; pages without one come after those with one (then by file name).
    pub order: Option<i64>,
    /// Reachable by URL but not listed in the navigation.
    pub hidden: bool,
    /// The page that `/` opens.
    pub default: bool,
    pub access: Access,
}

/// Who may open a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Access {
    #[default]
    Everyone,
    LoggedIn,
    /// Logged in with at least one of these roles.
    Roles(Vec<String>),
}

/// What the host does with one viewer on one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Run the page's script.
    Open,
    /// Show the login form instead (an anonymous viewer on a page that needs a login).
    Login,
    /// A logged-in viewer without any of the page's roles: 403, the script does not run.
    NotAllowed,
}

impl Access {
    pub fn needs_login(&self) -> bool {
        *self != Access::Everyone
    }

    pub fn gate(&self, viewer: Option<&Viewer>) -> Gate {
        match (self, viewer) {
            (Access::Everyone, _) => Gate::Open,
            (_, None) => Gate::Login,
            (Access::LoggedIn, Some(_)) => Gate::Open,
            (Access::Roles(roles), Some(viewer)) if viewer.roles.iter().any(|r| roles.contains(r)) => Gate::Open,
            (Access::Roles(_), Some(_)) => Gate::NotAllowed,
        }
    }
}

/// A header line that could not be read: its line number (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError {
    pub line: usize,
    pub message: String,
}

const KEYS: &str = "title, icon, section, order, hidden, default, login, roles";

impl PageMeta {
    /// Reads the `//!` lines at the very top of `source` (blank lines between them allowed).
    pub fn parse(source: &str) -> Result<Self, MetaError> {
        let mut meta = PageMeta::default();
        let mut login = false;
        let mut roles: Option<Vec<String>> = None;
        let mut lines = source.lines().enumerate().peekable();
        while let Some((i, line)) = lines.next_if(|(_, l)| l.trim().is_empty() || l.trim().starts_with("//!")) {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some(entry) = line.strip_prefix("//!") else { break };
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let fail = |message: String| MetaError { line: i + 1, message };
            let Some((key, value)) = entry.split_once(':') else {
                return Err(fail(format!("page header lines look like `key: value` (keys: {KEYS})")));
            };
            let (key, value) = (key.trim(), value.trim());
            match key {
                "title" => meta.title = Some(text(key, value).map_err(fail)?),
                "icon" => meta.icon = Some(icon(value).map_err(fail)?),
                "section" => meta.section = Some(text(key, value).map_err(fail)?),
                "order" => {
                    meta.order = Some(
                        value.parse().map_err(|_| fail(format!("`order` must be a whole number, not {value:?}")))?,
                    )
                }
                "hidden" => meta.hidden = flag(key, value).map_err(fail)?,
                "default" => meta.default = flag(key, value).map_err(fail)?,
                "login" => login = flag(key, value).map_err(fail)?,
                "roles" => roles = Some(role_list(value).map_err(fail)?),
                other => return Err(fail(format!("unknown page header key `{other}` (keys: {KEYS})"))),
            }
        }
        // A header line below the block would otherwise be ignored without a word.
        if let Some((i, _)) = lines.find(|(_, l)| l.trim_start().starts_with("//!")) {
            let message =
                "page header lines (`//!`) belong in the block at the top of the script, before any other line";
            return Err(MetaError { line: i + 1, message: message.to_owned() });
        }
        meta.access = match roles {
            Some(roles) => Access::Roles(roles),
            None if login => Access::LoggedIn,
            None => Access::Everyone,
        };
        Ok(meta)
    }
}

fn text(key: &str, value: &str) -> Result<String, String> {
    match value.chars().count() {
        0 => Err(format!("`{key}` needs a value")),
        1..=80 => Ok(value.to_owned()),
        _ => Err(format!("`{key}` is longer than 80 characters")),
    }
}

fn icon(value: &str) -> Result<String, String> {
    match value.chars().count() {
        1..=4 if !value.chars().any(char::is_whitespace) => Ok(value.to_owned()),
        _ => Err(format!("`icon` must be one emoji or up to 4 characters, not {value:?}")),
    }
}

fn flag(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("`{key}` must be true or false, not {value:?}")),
    }
}

fn role_list(value: &str) -> Result<Vec<String>, String> {
    let roles: Vec<String> = value.split(',').map(|r| r.trim().to_owned()).collect();
    let valid = |r: &String| !r.is_empty() && r.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if roles.iter().all(valid) {
        Ok(roles)
    } else {
        Err(format!("`roles` must be a comma-separated list of role names, not {value:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(roles: &[&str]) -> Viewer {
        Viewer {
            username: "u".into(),
            name: "U".into(),
            email: String::new(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn a_header_block_declares_every_key() {
        let source = "//! title: Sales report\n//! icon: 📈\n\n//! section: Reports\n//! order: 2\n//! hidden: true\n//! default: true\n//! roles: admin, editor\nlet x = 1;";
        let meta = PageMeta::parse(source).unwrap();
        assert_eq!(meta.title.as_deref(), Some("Sales report"));
        assert_eq!(meta.icon.as_deref(), Some("📈"));
        assert_eq!(meta.section.as_deref(), Some("Reports"));
        assert_eq!(meta.order, Some(2));
        assert!(meta.hidden && meta.default);
        assert_eq!(meta.access, Access::Roles(vec!["admin".into(), "editor".into()]));
    }

    #[test]
    fn a_script_without_a_header_is_open_to_everyone_and_listed() {
        let meta = PageMeta::parse("// a plain comment\ntitle(\"x\");").unwrap();
        assert_eq!(meta, PageMeta::default());
        assert_eq!(PageMeta::parse("//! login: true").unwrap().access, Access::LoggedIn);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_at_their_line() {
        let cases = [
            ("//! colour: red", 1, "unknown page header key `colour`"),
            ("//! title: x\n//! order: first", 2, "`order` must be a whole number"),
            ("//! hidden: yes", 1, "`hidden` must be true or false"),
            ("//! roles: admin, , x", 1, "`roles` must be a comma-separated list"),
            ("//! icon: a long label", 1, "`icon` must be one emoji"),
            ("//! just words", 1, "`key: value`"),
            ("//! title:", 1, "`title` needs a value"),
            ("// My dashboard\n//! title: Late", 2, "belong in the block at the top"),
        ];
        for (source, line, message) in cases {
            let err = PageMeta::parse(source).unwrap_err();
            assert_eq!(err.line, line, "{source}");
            assert!(err.message.contains(message), "{source}: {}", err.message);
        }
    }

    #[test]
    fn the_gate_lets_in_who_the_page_names_and_no_one_else() {
        let admins = Access::Roles(vec!["admin".into()]);
        assert_eq!(admins.gate(None), Gate::Login);
        assert_eq!(admins.gate(Some(&viewer(&["viewer"]))), Gate::NotAllowed);
        assert_eq!(admins.gate(Some(&viewer(&["viewer", "admin"]))), Gate::Open);
        assert_eq!(Access::LoggedIn.gate(None), Gate::Login);
        assert_eq!(Access::LoggedIn.gate(Some(&viewer(&[]))), Gate::Open);
        assert_eq!(Access::Everyone.gate(None), Gate::Open);
    }
}
