//! A chart as plain data: its kind, its series of points, and how its axes, bars and legend are
//! laid out. The widgets fill it from script data; the renderer draws it as SVG.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    /// Bars: each point is `(category, value)`; values of one category and series add up.
    Bar,
    Area,
    Scatter,
    /// Counts of values in [`Chart::bins`] equal bins: each point is `(value, 1)`.
    Histogram,
    /// Slices of a whole (a donut when [`Chart::hole`] is above 0): each point is
    /// `(category, value)`; values of one category add up.
    Pie,
    /// A grid of shaded cells: each point is `(x category, y category)` and its shade the value;
    /// values of one cell add up.
    Heatmap,
    /// Five-number summaries: each point is `(category, one raw value)`.
    Box,
}

impl ChartKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Line => "line",
            Self::Bar => "bar",
            Self::Area => "area",
            Self::Scatter => "scatter",
            Self::Histogram => "histogram",
            Self::Pie => "pie",
            Self::Heatmap => "heatmap",
            Self::Box => "box",
        }
    }
}

/// How several series of bars or areas share a category (Streamlit's `stack`).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum Stack {
    /// On top of each other (`true`, the default).
    #[default]
    Stacked,
    /// Side by side (`false`; areas overlap).
    Grouped,
    /// Stacked to 100% (`"normalize"`).
    Normalized,
    /// Stacked around zero (`"center"`).
    Centered,
    /// Overlapping, see-through (`"layered"`).
    Layered,
}

/// Where the legend goes (`legend`).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum Legend {
    #[default]
    Top,
    Right,
    Bottom,
    None,
}

/// How value-axis ticks and tooltips show numbers (`y_format`).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub enum AxisFormat {
    /// `1.5k`, `2M`, `0.25`.
    #[default]
    Compact,
    /// Thousands separated, with this many decimals (`None`: as the value needs, up to 2).
    Number(Option<u8>),
    /// Times 100 with a `%` sign, with this many decimals.
    Percent(u8),
}

/// A chart as data; the renderer draws it as SVG.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    /// Unique on the page (the n-th chart drawn), for the SVG's element ids.
    pub id: usize,
    /// Width of the drawing in SVG units; it scales to its container.
    pub width: f64,
    /// How wide it is shown (`use_container_width`, `width`).
    pub shown_width: super::Width,
    pub kind: ChartKind,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Names of the x positions when x is not numeric (position `i` is `categories[i]`).
    pub categories: Option<Vec<String>>,
    /// Names of the y positions of a heatmap.
    pub y_categories: Option<Vec<String>>,
    pub series: Vec<Series>,
    /// Bars drawn from the left instead of from the bottom.
    pub horizontal: bool,
    pub stack: Stack,
    pub legend: Legend,
    /// Fixed axis ranges instead of the data's (`x_range`, `y_range`).
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub y_format: AxisFormat,
    /// A histogram's number of bins.
    pub bins: usize,
    /// A donut's hole as a share of its radius (0 for a pie).
    pub hole: f64,
    /// A scatter dot's radius in pixels when its size is not given by a column.
    pub dot_radius: f64,
    /// What the widget did to the data before drawing (shown under the chart).
    pub notes: Vec<String>,
}

impl Chart {
    /// An empty chart of `kind` with the defaults of every option.
    pub fn new(id: usize, width: f64, kind: ChartKind) -> Self {
        Self {
            id,
            width,
            shown_width: super::Width::Stretch,
            kind,
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            categories: None,
            y_categories: None,
            series: Vec::new(),
            horizontal: false,
            stack: Stack::default(),
            legend: Legend::default(),
            x_range: None,
            y_range: None,
            y_format: AxisFormat::default(),
            bins: 20,
            hole: 0.0,
            dot_radius: 3.5,
            notes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Series {
    pub name: String,
    /// `(x, y)` in data units, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed: a secondary style for a line or an area's edge.
    pub dashed: bool,
    /// A scatter dot's size per point (`size` by column), in data units.
    pub sizes: Option<Vec<f64>>,
    /// A value per point shown as a shade (a heatmap's cells, a scatter's `color` by a number).
    pub shades: Option<Vec<f64>>,
}

impl Series {
    pub fn new(name: String) -> Self {
        Self { name, ..Self::default() }
    }
}
