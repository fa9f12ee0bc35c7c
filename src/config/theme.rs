//! The `[theme]` table of `runnel.toml`, as Streamlit's `config.toml` has it: `primaryColor`,
//! `backgroundColor`, `secondaryBackgroundColor`, `textColor` and `font`. Checked at start-up
//! and served as CSS custom properties (`/static/theme.css`) over the built-in light and dark
//! themes; a value that CSS could misread is a start-up error, never a broken page.

use serde::Deserialize;

/// The table as written in the file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThemeFile {
    primary_color: Option<String>,
    background_color: Option<String>,
    secondary_background_color: Option<String>,
    text_color: Option<String>,
    font: Option<String>,
}

/// The checked theme: each value is safe to write into a stylesheet as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Theme {
    pub primary_color: Option<String>,
    pub background_color: Option<String>,
    pub secondary_background_color: Option<String>,
    pub text_color: Option<String>,
    /// A CSS font stack for Streamlit's `sans serif`, `serif` or `monospace`.
    pub font: Option<&'static str>,
}

impl Theme {
    /// Checks every value of the table; the error names the key and what it takes.
    pub fn from_file(file: ThemeFile) -> Result<Self, String> {
        Ok(Self {
            primary_color: color("primaryColor", file.primary_color)?,
            background_color: color("backgroundColor", file.background_color)?,
            secondary_background_color: color("secondaryBackgroundColor", file.secondary_background_color)?,
            text_color: color("textColor", file.text_color)?,
            font: file.font.map(|f| font(&f)).transpose()?,
        })
    }

    /// The stylesheet: custom properties on `:root` that win over both built-in themes (a
    /// configured theme is one look, as in Streamlit); empty when nothing is configured.
    pub fn css(&self) -> String {
        let mut rules = String::new();
        let mut set = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                rules.push_str(&format!("  {name}: {value};\n"));
            }
        };
        set("--rn-accent", self.primary_color.as_deref());
        set("--rn-bg", self.background_color.as_deref());
        set("--rn-surface", self.secondary_background_color.as_deref());
        set("--rn-fg", self.text_color.as_deref());
        set("--rn-font", self.font);
        if rules.is_empty() {
            return String::new();
        }
        // The id in `:not(…)` outranks the attribute selectors of the built-in light and dark
        // themes, so the configured values win in both.
        format!("/* [theme] of runnel.toml */\n:root:not(#rn-no-such-id) {{\n{rules}}}\n")
    }
}

/// A colour as `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, or `rgb(…)`/`rgba(…)` of numbers.
fn color(key: &str, value: Option<String>) -> Result<Option<String>, String> {
    let Some(value) = value else { return Ok(None) };
    let text = value.trim();
    let hex = text
        .strip_prefix('#')
        .is_some_and(|h| [3, 4, 6, 8].contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()));
    let functional = ["rgb(", "rgba("].iter().any(|f| text.starts_with(f))
        && text.ends_with(')')
        && text[text.find('(').unwrap_or(0) + 1..text.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_digit() || b" ,.%/".contains(&b));
    if hex || functional {
        Ok(Some(text.to_owned()))
    } else {
        Err(format!("[theme] {key} must be a colour like \"#ff4b4b\" or \"rgb(255, 75, 75)\", not {value:?}"))
    }
}

fn font(name: &str) -> Result<&'static str, String> {
    match name {
        "sans serif" | "sans-serif" => {
            Ok("system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif")
        }
        "serif" => Ok("Georgia, \"Times New Roman\", serif"),
        "monospace" => Ok("ui-monospace, SFMono-Regular, Menlo, Consolas, \"Liberation Mono\", monospace"),
        other => Err(format!("[theme] font must be \"sans serif\", \"serif\" or \"monospace\", not {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{Theme, ThemeFile};

    fn theme(toml_text: &str) -> Result<Theme, String> {
        Theme::from_file(toml::from_str::<ThemeFile>(toml_text).map_err(|e| e.to_string())?)
    }

    #[test]
    fn streamlit_keys_become_custom_properties() {
        let theme =
            theme("primaryColor = \"#1f77b4\"\nbackgroundColor = \"rgb(250, 250, 250)\"\nfont = \"serif\"").unwrap();
        let css = theme.css();
        assert!(css.contains("--rn-accent: #1f77b4;"), "{css}");
        assert!(css.contains("--rn-bg: rgb(250, 250, 250);"), "{css}");
        assert!(css.contains("--rn-font: Georgia"), "{css}");
    }

    #[test]
    fn no_theme_is_an_empty_stylesheet() {
        assert_eq!(theme("").unwrap().css(), "");
    }

    #[test]
    fn values_css_could_misread_are_refused_with_the_key() {
        let error = theme("textColor = \"red; } body { display: none\"").unwrap_err();
        assert!(error.contains("textColor"), "{error}");
        assert!(theme("primaryColor = \"#12345\"").is_err());
        assert!(theme("font = \"Comic Sans\"").unwrap_err().contains("font"));
        assert!(theme("accentColor = \"#fff\"").is_err());
    }
}
