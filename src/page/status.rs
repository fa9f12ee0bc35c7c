//! The page-tree parts of the status elements: a status container's state, toasts and shown
//! exceptions. Plain data, like the rest of the tree.

use serde::Serialize;

/// The state icon of a `status` container.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum StatusState {
    /// Still working (an animated icon).
    #[default]
    Running,
    Complete,
    Error,
}

impl StatusState {
    pub const NAMES: &'static [&'static str] = &["running", "complete", "error"];

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Running, Self::Complete, Self::Error].into_iter().find(|s| s.name() == text)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Error => "error",
        }
    }

    /// What a screen reader says for the icon.
    pub fn spoken(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Complete => "Complete",
            Self::Error => "Error",
        }
    }
}

/// A notification in the bottom right corner that fades out by itself (`toast`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Toast {
    /// Inline markdown, rendered and sanitized.
    pub body: String,
    pub icon: Option<String>,
    /// Its place in the stack of toasts shown at once (0 is the lowest).
    pub slot: usize,
}

/// A page-wide animation (`balloons`, `snow`) that plays once each time it is put in the page:
/// glyphs that rise or fall across it, drawn by CSS alone and never in the way of a click.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum Celebration {
    Balloons,
    Snow,
}

impl Celebration {
    /// How many glyphs cross the page.
    pub const GLYPHS: usize = 12;

    pub fn css(self) -> &'static str {
        match self {
            Self::Balloons => "rn-balloons",
            Self::Snow => "rn-snow",
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Self::Balloons => "🎈",
            Self::Snow => "❄",
        }
    }
}

/// An error shown as an element (`exception`): what went wrong and, when known, where.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExceptionView {
    pub message: String,
    pub line: Option<i64>,
    pub column: Option<i64>,
}
