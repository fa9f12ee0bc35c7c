//! Page names: the only strings from a URL that may pick a script. Anything else is a 404.

/// A validated page name: 1 to 64 ASCII letters, digits, `_` or `-`, starting with a letter
/// or digit. No dots or slashes, so it can never leave the scripts folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageName(String);

impl PageName {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let starts_well = raw.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        (raw.len() <= 64 && starts_well && raw.chars().all(ok_char)).then(|| Self(raw.to_owned()))
    }

    /// The page name of a script file stem: a leading order prefix such as `01_` is dropped.
    pub fn from_stem(stem: &str) -> Option<Self> {
        let without_order = match stem.split_once('_') {
            Some((digits, rest)) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => stem,
        };
        Self::parse(without_order)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How the navigation shows the page: `sales_report` becomes `Sales report`.
    pub fn label(&self) -> String {
        let spaced = self.0.replace(['_', '-'], " ");
        let mut chars = spaced.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => spaced,
        }
    }
}

impl std::fmt::Display for PageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PageName;

    #[test]
    fn traversal_and_odd_names_are_refused() {
        for bad in ["", "..", "../etc/passwd", "a/b", "a.rhai", ".hidden", "-x", "a b", "é", &"x".repeat(65)] {
            assert!(PageName::parse(bad).is_none(), "{bad:?} should be refused");
        }
        assert!(PageName::parse("sales_report-2").is_some());
    }

    #[test]
    fn an_order_prefix_is_dropped_and_labels_read_well() {
        let name = PageName::from_stem("01_sales_report").unwrap();
        assert_eq!(name.as_str(), "sales_report");
        assert_eq!(name.label(), "Sales report");
        assert_eq!(PageName::from_stem("2024").unwrap().as_str(), "2024");
    }
}
