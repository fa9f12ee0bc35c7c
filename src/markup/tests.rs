use super::{highlight, html, inline, latex, markdown};

/// The classic XSS strings that must stay inert through every path.
const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\"><mi>x</mi></math>",
    "<span class=\"x\" style=\"background:url(javascript:alert(1))\">s</span>",
];

fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["<script", "onerror", "onload", "javascript:", "<iframe", "<style", "style="] {
        assert!(!lower.contains(bad), "{bad:?} survived in {html}");
    }
}

#[test]
fn an_indented_multi_line_string_is_text_not_a_code_block() {
    let page = markdown("\n        ## Sales\n\n        Revenue **grew**.\n        ");
    assert_eq!(page, "<h2>Sales</h2>\n<p>Revenue <strong>grew</strong>.</p>\n");
}

#[test]
fn emoji_shortcodes_become_emoji_but_not_inside_code() {
    assert_eq!(markdown("Nice :star: and :tada:"), "<p>Nice ⭐ and 🎉</p>\n");
    assert_eq!(markdown("`:star:`"), "<p><code>:star:</code></p>\n");
    assert!(markdown("```\n:star:\n```").contains(":star:"));
    assert_eq!(markdown("time 10:30:00 :nope:"), "<p>time 10:30:00 :nope:</p>\n");
}

#[test]
fn material_icons_are_shown_literally() {
    assert_eq!(markdown(":material/thumb_up: ok"), "<p>:material/thumb_up: ok</p>\n");
}

#[test]
fn colour_directives_become_classed_spans() {
    assert_eq!(
        markdown(":red[hot] and :grey[dim]"),
        "<p><span class=\"rn-color-red\">hot</span> and <span class=\"rn-color-gray\">dim</span></p>\n"
    );
    assert_eq!(
        markdown(":blue-background[**calm**]"),
        "<p><span class=\"rn-bg-blue\"><strong>calm</strong></span></p>\n"
    );
    assert_eq!(
        markdown(":rainbow[wow] :small[fine]"),
        "<p><span class=\"rn-color-rainbow\">wow</span> <span class=\"rn-small\">fine</span></p>\n"
    );
}

#[test]
fn badges_keep_both_classes() {
    let html = markdown(":green-badge[Done] next");
    assert_eq!(html, "<p><span class=\"rn-badge rn-badge-green\">Done</span> next</p>\n");
}

#[test]
fn literal_brackets_inside_a_directive_stay_and_an_unclosed_one_ends_with_its_paragraph() {
    assert_eq!(markdown(":red[a [b] c] d"), "<p><span class=\"rn-color-red\">a [b] c</span> d</p>\n");
    assert_eq!(markdown(":red[open\n\nnext"), "<p><span class=\"rn-color-red\">open</span></p>\n<p>next</p>\n");
    assert_eq!(markdown(":purple[no] [x]"), "<p>:purple[no] [x]</p>\n");
}

#[test]
fn a_class_the_directives_do_not_make_is_removed() {
    assert_eq!(
        markdown("<span class=\"evil rn-color-red\">x</span>"),
        "<p><span class=\"rn-color-red\">x</span></p>\n"
    );
}

#[test]
fn inline_and_display_math_become_mathml() {
    let inline_math = markdown("Area $\\pi r^2$ here");
    assert!(inline_math.contains("<math"), "{inline_math}");
    assert!(inline_math.contains("<msup>"), "{inline_math}");
    assert!(inline_math.contains("<mi>π</mi>") || inline_math.contains("π"), "{inline_math}");
    let block = markdown("$$\n\\frac{a}{b}\n$$");
    assert!(block.contains("display=\"block\""), "{block}");
    assert!(block.contains("<mfrac>"), "{block}");
}

#[test]
fn latex_is_one_display_formula_whose_dollars_and_markup_stay_its_own() {
    let formula = latex(r"a + ar + a r^2 = \sum_{k=0}^{n-1} ar^k");
    assert!(formula.starts_with("<math") && formula.contains("display=\"block\""), "{formula}");
    assert!(formula.contains("<munderover>") || formula.contains("<msubsup>"), "{formula}");
    let dollars = latex(r"\$5 + **x**");
    assert!(dollars.contains("<mi>$</mi>") && !dollars.contains("<strong>"), "not markdown: {dollars}");
    let broken = latex(r"\frac{a");
    assert!(broken.contains("<merror") && broken.contains(r"\frac{a"), "the source, marked: {broken}");
    for xss in XSS {
        assert_inert(&latex(xss));
    }
    assert_inert(&latex(r"\text{<script>alert(1)</script>}"));
}

#[test]
fn math_with_markup_inside_stays_inert() {
    let html = markdown("$\\text{<script>alert(1)</script>}$ $x<img src=x onerror=alert(1)>$");
    assert_inert(&html);
}

#[test]
fn math_spacing_and_colours_survive_without_style() {
    let html = markdown("$a\\!b \\quad \\color{blue} c$");
    assert!(html.contains("<mspace width=\"1em\""), "{html}");
    assert!(html.contains("class=\"rn-math-back-3\""), "{html}");
    assert!(html.contains("mathcolor=\"#0000ff\""), "{html}");
    assert_inert(&html);
}

#[test]
fn raw_math_attributes_stay_inert() {
    let raw = concat!(
        "<math><mspace width=\"1em\" style=\"background:url(javascript:alert(1))\" class=\"rn-math-back-3 evil\" ",
        "onclick=\"alert(1)\"/><mi mathcolor=\"url(javascript:alert(1))\" mathbackground=\"#ff0\">x</mi></math>"
    );
    for out in [html(raw), markdown(raw), inline(raw)] {
        assert_inert(&out);
        assert!(!out.contains("onclick") && !out.contains("evil") && !out.contains("mathcolor"), "{out}");
        assert!(out.contains("mathbackground=\"#ff0\""), "a colour stays: {out}");
    }
    assert!(html(raw).contains("class=\"rn-math-back-3\""), "the known class stays");
}

#[test]
fn labels_keep_inline_markdown_only() {
    assert_eq!(inline("**Bold** :red[hot] :star:"), "<strong>Bold</strong> <span class=\"rn-color-red\">hot</span> ⭐");
    assert_eq!(inline("# Heading"), "Heading");
    assert_eq!(inline("a < b & c"), "a &lt; b &amp; c");
    assert!(inline("[docs](https://example.com)").contains("<a href=\"https://example.com\""));
}

#[test]
fn html_keeps_safe_markup_and_drops_the_rest() {
    assert_eq!(html("<b>bold</b><script>alert(1)</script>"), "<b>bold</b>");
    assert_eq!(html("<p onclick=\"x()\">hi</p>"), "<p>hi</p>");
}

#[test]
fn the_xss_strings_stay_inert_in_markdown_labels_and_html() {
    for attack in XSS {
        assert_inert(&markdown(attack));
        assert_inert(&inline(attack));
        assert_inert(&html(attack));
        assert_inert(&markdown(&format!(":red[{attack}]")));
        assert_inert(&markdown(&format!("$${attack}$$")));
    }
}

#[test]
fn code_is_highlighted_with_classes_one_span_per_line() {
    let code = highlight("fn main() {\n    let x = 1; // one\n}", "rust");
    assert_eq!(code.grammar.as_deref(), Some("Rust"));
    assert_eq!(code.html.matches("<span class=\"rn-code-line\">").count(), 3);
    assert!(code.html.contains("rn-hl-keyword"), "{}", code.html);
    assert!(code.html.contains("rn-hl-comment"), "{}", code.html);
    assert!(!code.html.contains("style="));
}

#[test]
fn a_multi_line_comment_is_closed_and_reopened_on_each_line() {
    let code = highlight("/* one\ntwo */ x", "c");
    let lines: Vec<&str> = code.html.split('\n').collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(line.matches("<span").count(), line.matches("</span>").count(), "{line}");
        assert!(line.contains("rn-hl-comment"), "{line}");
    }
}

#[test]
fn unknown_languages_and_markup_in_code_are_plain_escaped_text() {
    let code = highlight("<script>alert(1)</script>", "klingon");
    assert_eq!(code.grammar, None);
    assert!(code.html.contains("&lt;script&gt;"));
    assert_inert(&code.html.replace("&lt;script&gt;", ""));
    let python = highlight("print('<img src=x onerror=alert(1)>')", "python");
    assert!(!python.html.contains("<img"));
}
