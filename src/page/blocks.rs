//! The page-tree parts of the dashboard building blocks: container kinds, data frames,
//! downloads and the page's own settings. Plain data, like the rest of the tree.

use serde::{Deserialize, Serialize};

/// What a container draws around its children.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub enum ContainerKind {
    #[default]
    Plain,
    /// A row whose children are [`ContainerKind::Column`]s.
    Columns(RowLayout),
    /// One column; its share of the row's width is `weight` over the sum of the weights.
    Column {
        weight: f64,
        share: f64,
    },
    /// A tab bar whose children are the panels, one per label.
    Tabs {
        labels: Vec<String>,
    },
    Tab,
    Expander {
        label: String,
        expanded: bool,
    },
    /// A `status` box: an expander with a state icon, changed in place by `update`. The label
    /// is inline markdown, rendered and sanitized.
    Status {
        label: String,
        state: super::StatusState,
        expanded: bool,
    },
    /// A placeholder: each element drawn into it replaces the one before.
    Empty,
    /// A form: its widgets are sent together, by its submit button.
    Form {
        key: String,
    },
    /// A part of the page whose own widgets rerun only its function (`fragment`, `dialog`).
    Fragment(Box<FragmentShell>),
    /// One message of a chat (`chat_message`): an avatar beside its children.
    ChatMessage {
        /// The role as the script named it (`user`, `assistant`, or any name).
        role: String,
        /// An emoji or a few characters.
        avatar: String,
        look: ChatLook,
    },
    /// A button that opens a floating panel with the children (`popover`).
    Popover {
        label: String,
        help: Option<String>,
        disabled: bool,
        full_width: bool,
    },
}

/// A fragment's shell: which function draws it, how often it reruns by itself, and for a
/// dialog its title and width.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FragmentShell {
    /// The fragment's id on its page: the function's name, then `#2`, `#3`, … for more calls.
    pub id: String,
    /// The script function that draws it.
    pub function: String,
    /// `run_every` in milliseconds: the page's JavaScript asks for a rerun this often.
    pub every_ms: Option<u64>,
    pub dialog: Option<DialogLook>,
}

/// A dialog's title and width (`dialog(title, Fn, #{ width })`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DialogLook {
    pub title: String,
    pub large: bool,
}

/// How a chat message looks: the viewer's, the assistant's, or anyone else's.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum ChatLook {
    User,
    Assistant,
    Other,
}

impl ChatLook {
    /// `user` and `human` are the viewer, `assistant` and `ai` the assistant (as in Streamlit).
    pub fn of_role(role: &str) -> Self {
        match role.to_lowercase().as_str() {
            "user" | "human" => Self::User,
            "assistant" | "ai" => Self::Assistant,
            _ => Self::Other,
        }
    }

    /// The avatar shown when the script gives none: an icon, or the role's initial.
    pub fn default_avatar(self, role: &str) -> String {
        match self {
            Self::User => "🧑".to_owned(),
            Self::Assistant => "🤖".to_owned(),
            Self::Other => {
                role.chars().find(|c| !c.is_whitespace()).map_or("?".to_owned(), |c| c.to_uppercase().collect())
            }
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Self::User => "rn-chat-user",
            Self::Assistant => "rn-chat-assistant",
            Self::Other => "rn-chat-other",
        }
    }
}

/// How a row of columns is spaced and aligned (`columns(…, #{ gap, vertical_alignment })`).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct RowLayout {
    pub gap: Gap,
    pub align: VerticalAlign,
}

impl RowLayout {
    /// The row's CSS classes.
    pub fn css(&self) -> String {
        format!("rn-gap-{} rn-align-{}", self.gap.name(), self.align.name())
    }
}

/// Streamlit's column `gap`.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum Gap {
    #[default]
    Small,
    Medium,
    Large,
}

impl Gap {
    pub const NAMES: &'static [&'static str] = &["small", "medium", "large"];

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Small, Self::Medium, Self::Large].into_iter().find(|g| g.name() == text)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }
}

/// Streamlit's column `vertical_alignment`.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum VerticalAlign {
    #[default]
    Top,
    Center,
    Bottom,
}

impl VerticalAlign {
    pub const NAMES: &'static [&'static str] = &["top", "center", "bottom"];

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Top, Self::Center, Self::Bottom].into_iter().find(|a| a.name() == text)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Top => "top",
            Self::Center => "center",
            Self::Bottom => "bottom",
        }
    }
}

/// Blank vertical space (`space(size)`): a named size, or pixels.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum SpaceSize {
    Small,
    Medium,
    Large,
    Pixels(u16),
}

impl SpaceSize {
    /// The CSS class of a named size; pixels are drawn by an SVG's height attribute instead
    /// (the Content-Security-Policy allows no style attributes).
    pub fn css(self) -> &'static str {
        match self {
            Self::Small => "rn-space-small",
            Self::Medium => "rn-space-medium",
            Self::Large => "rn-space-large",
            Self::Pixels(_) => "rn-space-pixels",
        }
    }

    pub fn pixels(self) -> Option<u16> {
        match self {
            Self::Pixels(px) => Some(px),
            _ => None,
        }
    }
}

/// How a metric's delta is coloured (Streamlit's `delta_color`).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum DeltaTone {
    Good,
    Bad,
    Off,
}

impl DeltaTone {
    pub fn css(self) -> &'static str {
        match self {
            Self::Good => "rn-good",
            Self::Bad => "rn-bad",
            Self::Off => "rn-off",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// A column header of a data frame: its name, its current sort and the link that sorts by it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SortLink {
    pub label: String,
    pub sorted: Option<SortOrder>,
    /// A relative URL (`?…`) that keeps the other query parameters.
    pub href: String,
    pub numeric: bool,
}

impl SortLink {
    /// The `aria-sort` value of a sorted column.
    pub fn aria_sort(&self) -> Option<&'static str> {
        self.sorted.map(|o| if o == SortOrder::Ascending { "ascending" } else { "descending" })
    }

    pub fn arrow(&self) -> &'static str {
        match self.sorted {
            Some(SortOrder::Ascending) => " ▲",
            Some(SortOrder::Descending) => " ▼",
            None => "",
        }
    }
}

/// One page of a sortable, paged table; sorting and paging happen on the server.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataFrame {
    pub columns: Vec<SortLink>,
    pub rows: Vec<Vec<String>>,
    /// 1-based page number, of `pages`.
    pub page: usize,
    pub pages: usize,
    pub total_rows: usize,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub width: super::Width,
}

/// A file made from script data, offered as a `data:` link.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Download {
    pub label: String,
    pub file_name: String,
    pub mime: String,
    pub href: String,
}

/// `page_config`: what the document shows around the dashboard.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PageConfig {
    pub title: Option<String>,
    pub icon: Option<String>,
    pub wide: bool,
}
