//! The page tree: plain data that widgets build during a run and the renderer turns into HTML.
//! Nothing here knows about Rhai, HTTP or the session.

use std::sync::Arc;

use serde::Serialize;

mod blocks;
mod chart;
mod media;
mod status;
mod width;
pub use blocks::{
    ChatLook, ContainerKind, DataFrame, DeltaTone, DialogLook, Download, FragmentShell, Gap, PageConfig, RowLayout,
    SortLink, SortOrder, SpaceSize, VerticalAlign,
};
pub use chart::{AxisFormat, Chart, ChartKind, Legend, Series, Stack};
pub use media::{Image, ImageSource, MapPoint, MapView, Media, MediaKey, MediaKind, VegaLite, media_path};
pub use status::{Celebration, ExceptionView, StatusState, Toast};
pub use width::{MAX_PIXELS, Width};

/// Deepest nesting of containers a script may build (keeps rendering bounded).
pub const MAX_DEPTH: usize = 16;

/// Where an element is placed: an index into [`Page::containers`].
pub type ContainerId = usize;

/// The result of one run, ready to render.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Page {
    /// `containers[0]` is the main area, `containers[1]` the sidebar; more are nested containers.
    pub containers: Vec<Container>,
    /// A compile or runtime error, shown after the elements drawn before it.
    pub error: Option<ScriptError>,
    /// The error of a save that did not compile, shown above the output of the last good one.
    pub notice: Option<ScriptError>,
    /// Set by `page_config`: the document title, icon and layout.
    pub config: PageConfig,
    /// The page holds only one fragment, at [`FRAGMENT_ROOT`] (a rerun of that fragment alone).
    pub part: bool,
}

pub const MAIN: ContainerId = 0;
pub const SIDEBAR: ContainerId = 1;
/// The fragment's container in a page made by [`Page::for_fragment`].
pub const FRAGMENT_ROOT: ContainerId = 2;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Container {
    pub depth: usize,
    pub kind: ContainerKind,
    /// The key of the form this container lies in: its widgets wait for the form's submit.
    pub form: Option<String>,
    /// The id of the fragment this container lies in: its widgets rerun only that fragment.
    pub fragment: Option<String>,
    pub children: Vec<Element>,
}

impl Page {
    pub fn new() -> Self {
        Self { containers: vec![Container::default(), Container::default()], ..Self::default() }
    }

    pub fn main(&self) -> &[Element] {
        &self.containers[MAIN].children
    }

    pub fn sidebar(&self) -> &[Element] {
        &self.containers[SIDEBAR].children
    }

    /// Appends an element to a container; an `empty()` placeholder holds only the newest one.
    pub fn push(&mut self, target: ContainerId, element: Element) {
        let container = &mut self.containers[target];
        if container.kind == ContainerKind::Empty {
            container.children.clear();
        }
        container.children.push(element);
    }

    /// Opens a nested plain container inside `parent`; `None` when that would nest too deep.
    pub fn open_container(&mut self, parent: ContainerId) -> Option<ContainerId> {
        self.open(parent, ContainerKind::Plain)
    }

    /// Opens a nested container of some kind; `None` when that would nest too deep. A form's
    /// key is passed down to everything inside it.
    pub fn open(&mut self, parent: ContainerId, kind: ContainerKind) -> Option<ContainerId> {
        let depth = self.containers[parent].depth + 1;
        if depth > MAX_DEPTH {
            return None;
        }
        let form = match &kind {
            ContainerKind::Form { key } => Some(key.clone()),
            _ => self.containers[parent].form.clone(),
        };
        let fragment = match &kind {
            ContainerKind::Fragment(shell) => Some(shell.id.clone()),
            _ => self.containers[parent].fragment.clone(),
        };
        let id = self.containers.len();
        self.containers.push(Container { depth, kind, form, fragment, children: Vec::new() });
        self.push(parent, Element::Container(id));
        Some(id)
    }

    /// A page that holds only one fragment, at [`FRAGMENT_ROOT`] and at the depth it has in the
    /// page: what a rerun of that fragment alone draws into.
    pub fn for_fragment(shell: FragmentShell, depth: usize) -> Self {
        let mut page = Self::new();
        let fragment = Some(shell.id.clone());
        let kind = ContainerKind::Fragment(Box::new(shell));
        page.containers.push(Container { depth, kind, form: None, fragment, children: Vec::new() });
        page.part = true;
        page
    }

    /// The fragments of the page with their element ids (`m.2`) and depths, in drawing order.
    pub fn fragments(&self) -> Vec<(String, usize, &FragmentShell)> {
        let mut out = Vec::new();
        for (root, path) in [(MAIN, "m"), (SIDEBAR, "s")] {
            self.fragments_into(root, path, &mut out);
        }
        out
    }

    fn fragments_into<'a>(&'a self, id: ContainerId, path: &str, out: &mut Vec<(String, usize, &'a FragmentShell)>) {
        for (i, element) in self.containers[id].children.iter().enumerate() {
            let Element::Container(child) = element else { continue };
            let child_path = format!("{path}.{i}");
            let container = &self.containers[*child];
            if let ContainerKind::Fragment(shell) = &container.kind {
                out.push((child_path.clone(), container.depth, shell));
            }
            self.fragments_into(*child, &child_path, out);
        }
    }

    /// Removes everything drawn into a container so far (`placeholder.clear()`).
    pub fn clear(&mut self, id: ContainerId) {
        self.containers[id].children.clear();
    }

    /// Every element of the page in drawing order, nested containers included.
    pub fn walk(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let roots: &[ContainerId] = if self.part { &[FRAGMENT_ROOT] } else { &[MAIN, SIDEBAR] };
        for root in roots {
            self.walk_into(*root, &mut out);
        }
        out
    }

    fn walk_into<'a>(&'a self, id: ContainerId, out: &mut Vec<&'a Element>) {
        for element in &self.containers[id].children {
            out.push(element);
            if let Element::Container(child) = element {
                self.walk_into(*child, out);
            }
        }
    }

    /// The widgets of the page, in drawing order.
    pub fn widgets(&self) -> Vec<&WidgetView> {
        self.walk()
            .into_iter()
            .filter_map(|e| match e {
                Element::Widget(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    /// The first widget with this label (handy in tests).
    pub fn widget(&self, label: &str) -> Option<&WidgetView> {
        self.widgets().into_iter().find(|w| w.label == label)
    }

    /// All plain text the page shows, for assertions in tests.
    pub fn texts(&self) -> Vec<String> {
        self.walk().into_iter().filter_map(Element::text).collect()
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum AlertKind {
    Success,
    Info,
    Warning,
    Error,
}

impl AlertKind {
    pub fn css(self) -> &'static str {
        match self {
            Self::Success => "rn-success",
            Self::Info => "rn-info",
            Self::Warning => "rn-warning",
            Self::Error => "rn-error",
        }
    }
}

/// A `table`: its header and its cells as text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TableView {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub width: Width,
}

/// One element of a page. The big ones (tables, frames, charts, maps, media, downloads) are
/// shared: copying a page (each snapshot of a watched run) copies pointers to them, not their
/// data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum Element {
    Title(String),
    Header(String),
    Subheader(String),
    Text(String),
    /// Markdown (or `html(…)`) already rendered and sanitized.
    Markdown(String),
    /// Small grey markdown, already rendered and sanitized.
    Caption(String),
    Code(Box<CodeBlock>),
    Divider,
    /// Blank vertical space (`space`).
    Space(SpaceSize),
    Json(String),
    Alert {
        kind: AlertKind,
        body: String,
    },
    Metric {
        label: String,
        value: String,
        delta: Option<String>,
        /// The arrow: up unless the delta is negative.
        rising: bool,
        tone: DeltaTone,
        /// The `help` text, shown under the metric.
        help: Option<String>,
    },
    Table(Arc<TableView>),
    DataFrame(Arc<DataFrame>),
    Progress {
        /// 0 to 100.
        percent: u8,
        text: String,
    },
    /// Shown while a function runs (`spinner`): its text as inline markdown, rendered and
    /// sanitized, and whether it counts the seconds since it appeared.
    Spinner {
        text: String,
        show_time: bool,
    },
    Toast(Box<Toast>),
    /// `balloons` or `snow`: an animation over the whole page. `play` is new for each run that
    /// draws it, so that the browser plays it again (a patch replaces it instead of morphing it).
    Celebration {
        kind: Celebration,
        play: u32,
    },
    Exception(Box<ExceptionView>),
    Download(Arc<Download>),
    /// A link to another page of the app, or to a web address (`page_link`).
    PageLink(Box<PageLink>),
    Chart(Arc<Chart>),
    /// `image`; `logo` is an image at the top of the sidebar.
    Image(Arc<Image>),
    Logo(Arc<Image>),
    /// `audio` and `video`.
    Media(Arc<Media>),
    Map(Arc<MapView>),
    VegaLite(Arc<VegaLite>),
    Widget(WidgetView),
    /// A link styled as a button (`link_button`).
    LinkButton {
        label: String,
        url: String,
        help: Option<String>,
        disabled: bool,
        /// The `type`: `primary`, `secondary` or `tertiary`.
        look: &'static str,
    },
    /// A login, registration, … form of the authenticator, or its logout button.
    AuthForm(AuthFormView),
    Container(ContainerId),
}

impl Element {
    /// The visible text of a text-bearing element.
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Title(t) | Self::Header(t) | Self::Subheader(t) | Self::Text(t) => Some(t.clone()),
            Self::Caption(t) | Self::Json(t) | Self::Markdown(t) => Some(t.clone()),
            Self::Code(block) => Some(block.code.clone()),
            Self::Alert { body, .. } => Some(body.clone()),
            Self::Metric { label, value, .. } => Some(format!("{label}: {value}")),
            Self::Progress { text, .. } => Some(text.clone()),
            Self::Spinner { text, .. } => Some(text.clone()),
            Self::Toast(toast) => Some(toast.body.clone()),
            Self::Exception(e) => Some(e.message.clone()),
            _ => None,
        }
    }
}

/// A block of code drawn by `code`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CodeBlock {
    /// The code as the script gave it.
    pub code: String,
    /// As the script named it; empty for plain text.
    pub language: String,
    /// Highlighted and escaped on the server: one `rn-code-line` span per line.
    pub html: String,
    pub line_numbers: bool,
    pub wrap_lines: bool,
}

/// A link drawn by `page_link`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PageLink {
    /// `/{page}` or an http(s) URL.
    pub href: String,
    pub label: String,
    pub icon: Option<String>,
    pub help: Option<String>,
    pub disabled: bool,
    /// Leads out of the app (opens in a new tab).
    pub external: bool,
}

/// One page of the app as links to it see it: its name, title and icon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageEntry {
    pub name: String,
    pub title: String,
    pub icon: Option<String>,
}

/// What the renderer needs to draw one widget.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WidgetView {
    pub id: String,
    pub kind: WidgetKind,
    /// The label as the script gave it (the widget's identity, screen-reader text).
    pub label: String,
    /// The label as shown: inline markdown, rendered and sanitized.
    pub label_html: String,
    /// The help text as inline markdown, rendered and sanitized.
    pub help: Option<String>,
    pub disabled: bool,
    pub label_visibility: LabelVisibility,
    pub control: Control,
}

/// Streamlit's `label_visibility`: shown, hidden but keeping its space, or gone (screen
/// readers still read it in both cases).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum LabelVisibility {
    #[default]
    Visible,
    Hidden,
    Collapsed,
}

impl LabelVisibility {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "visible" => Some(Self::Visible),
            "hidden" => Some(Self::Hidden),
            "collapsed" => Some(Self::Collapsed),
            _ => None,
        }
    }

    /// The label's extra CSS class.
    pub fn css(self) -> &'static str {
        match self {
            Self::Visible => "",
            Self::Hidden => " rn-label-hidden",
            Self::Collapsed => " rn-label-collapsed",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum WidgetKind {
    Button,
    Checkbox,
    Toggle,
    Radio,
    Selectbox,
    Multiselect,
    Slider,
    TextInput,
    TextArea,
    NumberInput,
    /// The button that sends a form's widgets together.
    FormSubmit,
    DateInput,
    TimeInput,
    DatetimeInput,
    ColorPicker,
    SelectSlider,
    Pills,
    SegmentedControl,
    Feedback,
    FileUploader,
    /// The message field of a chat, with its send button (`chat_input`).
    ChatInput,
}

impl WidgetKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Button => "button",
            Self::Checkbox => "checkbox",
            Self::Toggle => "toggle",
            Self::Radio => "radio",
            Self::Selectbox => "selectbox",
            Self::Multiselect => "multiselect",
            Self::Slider => "slider",
            Self::TextInput => "text_input",
            Self::TextArea => "text_area",
            Self::NumberInput => "number_input",
            Self::FormSubmit => "form_submit_button",
            Self::DateInput => "date_input",
            Self::TimeInput => "time_input",
            Self::DatetimeInput => "datetime_input",
            Self::ColorPicker => "color_picker",
            Self::SelectSlider => "select_slider",
            Self::Pills => "pills",
            Self::SegmentedControl => "segmented_control",
            Self::Feedback => "feedback",
            Self::FileUploader => "file_uploader",
            Self::ChatInput => "chat_input",
        }
    }
}

/// An uploaded file as the page lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileShown {
    pub name: String,
    pub size: u64,
}

/// The control's current state, in the form the template draws it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum Control {
    /// `primary`, `secondary` or `tertiary` (the button's `type`).
    Button {
        look: &'static str,
    },
    Check {
        checked: bool,
    },
    /// Radio, selectbox, multiselect, pills, segmented control and feedback: the options shown
    /// and which are selected.
    Choice {
        options: Vec<ChoiceOption>,
        look: ChoiceLook,
        /// Several may be chosen (checkboxes rather than radio buttons).
        multiple: bool,
        /// Shown while nothing is chosen.
        placeholder: Option<String>,
    },
    /// A slider: one handle (`value`), or two (`value` and `high`). A select_slider's values
    /// are option indexes and `labels` are the options as shown.
    Range {
        min: String,
        max: String,
        step: String,
        value: String,
        high: Option<String>,
        labels: Vec<String>,
        /// A date slider's first day: its values count days from it.
        day_zero: Option<String>,
    },
    Text {
        value: String,
        max_chars: Option<usize>,
        placeholder: String,
        /// `text` or `password`.
        input: &'static str,
        /// The browser's autofill hint; empty for none.
        autocomplete: String,
    },
    /// A native date, time or datetime-local input: one value, or two for a date range.
    Temporal {
        input: &'static str,
        min: Option<String>,
        max: Option<String>,
        step: Option<String>,
        values: Vec<String>,
        /// The chosen value written in the widget's `format`, beside the browser's own picker.
        shown: String,
    },
    Color {
        value: String,
    },
    /// A file uploader: what the file input accepts, and the files kept now.
    Files {
        /// The `accept` attribute (`.csv,.png`), empty for any type.
        accept: String,
        multiple: bool,
        files: Vec<FileShown>,
    },
    /// A chat's message field and send button; always drawn empty (a message is sent once).
    Chat {
        placeholder: String,
        max_chars: usize,
        /// Drawn into the main area: pinned to the bottom of the page.
        pinned: bool,
    },
    Number {
        min: Option<String>,
        max: Option<String>,
        step: String,
        /// Written in the `format` option's form, if any.
        value: String,
        placeholder: String,
    },
}

/// How a choice widget draws its options.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum ChoiceLook {
    /// A select box (a list box when several may be chosen).
    List,
    Radio,
    HorizontalRadio,
    /// Buttons that stand apart (`pills`) or touch (`segmented_control`, `feedback`).
    Pills,
    Segmented,
}

impl ChoiceLook {
    /// How the template draws it: `list`, `radio` or `buttons`.
    pub fn family(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Radio | Self::HorizontalRadio => "radio",
            Self::Pills | Self::Segmented => "buttons",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Self::List => "rn-choice-list",
            Self::Radio => "rn-choice-radio",
            Self::HorizontalRadio => "rn-choice-radio rn-horizontal",
            Self::Pills => "rn-choice-pills",
            Self::Segmented => "rn-choice-pills rn-segmented",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChoiceOption {
    pub index: usize,
    pub label: String,
    pub selected: bool,
}

/// An authenticator form: it posts to `/{page}/auth/{action}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuthFormView {
    /// The action's name (`login`, `logout`, `register_user`, …).
    pub action: &'static str,
    /// The form's `key`, posted back with it so that the host finds this form.
    pub key: Option<String>,
    /// The form's heading; empty for a bare button.
    pub title: String,
    pub fields: Vec<AuthField>,
    pub submit: String,
    pub error: Option<String>,
    pub success: Option<String>,
    /// What an authenticator app needs during a TOTP enrolment: the QR code (an `<svg>` the
    /// host drew; no script, no style) and the secret for typing in by hand.
    pub totp: Option<TotpSetup>,
    /// Recovery codes, shown once, right after TOTP was turned on.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TotpSetup {
    pub qr_svg: String,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuthField {
    /// The form field's name, as the host reads it.
    pub name: &'static str,
    pub label: String,
    /// `text`, `email` or `password`.
    pub input: &'static str,
    /// The browser's autofill hint.
    pub autocomplete: &'static str,
    pub value: String,
}

/// A script error as the page shows it: where, what, and the offending line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScriptError {
    pub script: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The source line and a caret under the column, when the position is known.
    pub source_line: Option<String>,
    pub caret: Option<String>,
}

impl std::fmt::Display for ScriptError {
    /// `file:line:col: message`, the form `runnel check` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.rhai", self.script)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}
