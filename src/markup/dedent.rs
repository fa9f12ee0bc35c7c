//! Streamlit's clean-up of a markdown body: Python's `textwrap.dedent`, then surrounding blank
//! lines and spaces stripped (`textwrap.dedent(body).strip()`).

/// Removes the whitespace prefix that every non-blank line shares, then trims the result.
/// Lines of only whitespace do not count towards the prefix (as in `textwrap.dedent`).
pub fn dedent(text: &str) -> String {
    let prefix = common_prefix(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| if line.trim().is_empty() { line.trim_start_matches([' ', '\t']) } else { &line[prefix..] })
        .collect();
    lines.join("\n").trim().to_owned()
}

/// The length in bytes of the longest run of spaces and tabs that starts every non-blank line.
fn common_prefix(text: &str) -> usize {
    let mut prefix: Option<&str> = None;
    for line in text.split('\n').filter(|l| !l.trim().is_empty()) {
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        prefix = Some(match prefix {
            None => indent,
            Some(p) => &p[..shared_len(p, indent)],
        });
    }
    prefix.map_or(0, str::len)
}

fn shared_len(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::dedent;

    #[test]
    fn an_indented_block_loses_its_shared_indent_and_blank_edges() {
        let source = "\n    # Title\n\n    Some text\n      still indented\n    ";
        assert_eq!(dedent(source), "# Title\n\nSome text\n  still indented");
    }

    #[test]
    fn tabs_and_spaces_only_share_what_is_equal() {
        assert_eq!(dedent("\t a\n\t b"), "a\nb");
        assert_eq!(dedent("  a\n\tb"), "a\n\tb");
    }

    #[test]
    fn text_without_indent_is_only_trimmed() {
        assert_eq!(dedent("  \nplain\n  indented\n"), "plain\n  indented");
    }
}
