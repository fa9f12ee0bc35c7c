//! The allow-lists that every HTML string from a script passes through (ammonia): ammonia's
//! defaults for markdown and `html(…)`, plus the MathML that formulas need and the classes of
//! Streamlit's directives; a smaller inline list for labels and help texts.

use std::sync::OnceLock;

use ammonia::Builder;

/// The MathML Core elements a formula is drawn with. No `maction`, no links, no `style`.
const MATH_TAGS: &[&str] = &[
    "math",
    "semantics",
    "annotation",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msub",
    "msup",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "merror",
    "mmultiscripts",
    "mprescripts",
    "none",
];

/// Presentation attributes per MathML element: sizes, spacing and variants, nothing that loads
/// or runs anything.
const MATH_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("math", &["display"]),
    ("mi", &["mathvariant"]),
    (
        "mo",
        &[
            "stretchy",
            "fence",
            "separator",
            "lspace",
            "rspace",
            "minsize",
            "maxsize",
            "largeop",
            "movablelimits",
            "symmetric",
            "form",
            "mathvariant",
        ],
    ),
    ("mfrac", &["linethickness"]),
    ("mover", &["accent"]),
    ("munder", &["accentunder"]),
    ("munderover", &["accent", "accentunder"]),
    ("mstyle", &["displaystyle", "scriptlevel", "mathvariant"]),
    ("mspace", &["width", "height", "depth"]),
    ("mpadded", &["width", "height", "depth", "lspace", "voffset"]),
    ("mtd", &["columnspan", "rowspan"]),
    ("annotation", &["encoding"]),
];

/// HTML tags a label or help text keeps; the rest lose their tags and keep their text.
const INLINE_TAGS: &[&str] = &["a", "b", "code", "del", "em", "i", "kbd", "s", "small", "span", "strong", "sub", "sup"];

/// Markdown output and `html(…)`: ammonia's defaults plus formulas and directive classes.
pub fn block(html: &str) -> String {
    static CLEANER: OnceLock<Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| extended(Builder::default())).clean(html).to_string()
}

/// Labels and help texts: inline tags only.
pub fn inline(html: &str) -> String {
    static CLEANER: OnceLock<Builder<'static>> = OnceLock::new();
    let cleaner = CLEANER.get_or_init(|| {
        let mut builder = Builder::default();
        builder.tags(INLINE_TAGS.iter().copied().collect());
        extended(builder)
    });
    cleaner.clean(html).to_string()
}

fn extended(mut builder: Builder<'static>) -> Builder<'static> {
    builder.add_tags(MATH_TAGS);
    for (tag, attributes) in MATH_ATTRIBUTES {
        builder.add_tag_attributes(*tag, *attributes);
    }
    for tag in MATH_TAGS {
        // Colours of `\color` and `\colorbox` (see `math::restyled`): a colour, never a URL.
        builder.add_tag_attributes(*tag, ["mathcolor", "mathbackground"]);
    }
    builder.add_allowed_classes("span", directive_classes());
    builder.add_allowed_classes("mspace", math_space_classes());
    builder.attribute_filter(|_, attribute, value| match attribute {
        "mathcolor" | "mathbackground" if !is_colour(value) => None,
        _ => Some(value.into()),
    });
    builder
}

/// `#rgb`, `#rrggbb` (with alpha too) or a colour name: nothing a browser would fetch or run.
fn is_colour(value: &str) -> bool {
    match value.strip_prefix('#') {
        Some(hex) => matches!(hex.len(), 3 | 4 | 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit()),
        None => !value.is_empty() && value.len() <= 20 && value.chars().all(|c| c.is_ascii_alphabetic()),
    }
}

/// `rn-math-back-1` … `rn-math-back-18`: a negative space of that many math units.
fn math_space_classes() -> &'static [String] {
    static CLASSES: OnceLock<Vec<String>> = OnceLock::new();
    CLASSES.get_or_init(|| (1..=18).map(|n| format!("rn-math-back-{n}")).collect())
}

/// The directive classes, made once and kept for the sanitizers' `'static` lists.
fn directive_classes() -> &'static [String] {
    static CLASSES: OnceLock<Vec<String>> = OnceLock::new();
    CLASSES.get_or_init(super::directives::classes)
}
