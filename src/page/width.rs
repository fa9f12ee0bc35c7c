//! How wide an element is drawn: as wide as its container, its own width, or a number of
//! pixels (Streamlit's `use_container_width` and `width`). Plain data; the renderer turns it into
//! a class and, for pixels, a `width` attribute (the Content-Security-Policy allows no `style`).

use serde::Serialize;

/// Most pixels a script may ask for.
pub const MAX_PIXELS: u32 = 4000;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum Width {
    /// As wide as its column or container (`use_container_width: true`, `width: "stretch"`).
    Stretch,
    /// Its own width, never wider than its container (`width: "content"`).
    Content,
    /// This many CSS pixels, never wider than its container (`width: 300`).
    Pixels(u32),
}

impl Width {
    /// The class on the element's root tag.
    pub fn css(self) -> &'static str {
        match self {
            Self::Stretch => "rn-w-stretch",
            Self::Content => "rn-w-content",
            Self::Pixels(_) => "rn-w-fixed",
        }
    }

    pub fn pixels(self) -> Option<u32> {
        match self {
            Self::Pixels(px) => Some(px),
            _ => None,
        }
    }
}
