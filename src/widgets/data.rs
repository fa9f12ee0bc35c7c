//! Data elements: `dataframe` (sorted and paged on the server through query parameters, so
//! its links work without JavaScript; a data frame is sorted and sliced by Polars, so only the
//! shown page becomes text) and `download_button` (frames as CSV, JSON or Parquet).

use std::sync::Arc;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use base64::Engine as _;
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};

use super::display::draw;
use super::formats::Formats;
use super::options::{Options, error};
use super::records::{Records, number};
use super::{context, convert, placed, placed_data, width};
use crate::frame::{self, Frame, Page, PageCell};
use crate::page::{ContainerId, DataFrame, Download, Element, SortLink, SortOrder, Width};

type Res = Result<(), Box<EvalAltResult>>;

/// Most rows a data frame takes (it shows one page of them at a time).
const MAX_FRAME_ROWS: usize = 100_000;
const MAX_PAGE_SIZE: i64 = 1000;
/// Largest file a download button carries inside the page.
const MAX_DOWNLOAD_BYTES: usize = 2 << 20;
/// The types a download may have; others could be opened as a page and run script.
const DOWNLOAD_TYPES: [&str; 4] = ["text/csv", "application/json", "text/plain", PARQUET];
const PARQUET: &str = "application/vnd.apache.parquet";

pub fn register(engine: &mut Engine) {
    placed_data!(engine, "dataframe", |t, p, d: &Dynamic| dataframe(t, p, d, Map::new()), (data));
    placed_data!(engine, "dataframe", dataframe, (data, opts: Map));
    placed!(engine, "download_button", download, (label: ImmutableString, data: Dynamic, opts: Map));
    placed!(engine, "download_button", |t, p, l: ImmutableString, d: Dynamic| download(t, p, l, d, Map::new()), (label: ImmutableString, data: Dynamic));
}

/// How the viewer asked a frame to be shown: from `{key}.sort`, `{key}.desc`, `{key}.page`.
struct View {
    key: String,
    query: BTreeMap<String, String>,
    sort: Option<(String, SortOrder)>,
    page: usize,
}

impl View {
    fn read(key: String, query: BTreeMap<String, String>, columns: &[String]) -> Self {
        let order = if query.get(&format!("{key}.desc")).is_some_and(|d| d == "1") {
            SortOrder::Descending
        } else {
            SortOrder::Ascending
        };
        let sort = query.get(&format!("{key}.sort")).filter(|c| columns.contains(c)).map(|c| (c.clone(), order));
        let page = query.get(&format!("{key}.page")).and_then(|p| p.parse().ok()).unwrap_or(1usize).max(1);
        Self { key, query, sort, page }
    }

    /// A relative link to the same page with this frame's parameters changed.
    fn href(&self, sort: Option<&(String, SortOrder)>, page: usize) -> String {
        let mut query = self.query.clone();
        for name in ["sort", "desc", "page"] {
            query.remove(&format!("{}.{name}", self.key));
        }
        if let Some((column, order)) = sort {
            query.insert(format!("{}.sort", self.key), column.clone());
            if *order == SortOrder::Descending {
                query.insert(format!("{}.desc", self.key), "1".into());
            }
        }
        if page > 1 {
            query.insert(format!("{}.page", self.key), page.to_string());
        }
        format!("?{}", serde_urlencoded::to_string(&query).unwrap_or_default())
    }

    /// The link of a column header: sort by it ascending, or flip it when it is the sort.
    fn header(&self, column: &str, numeric: bool) -> SortLink {
        let sorted = self.sort.as_ref().filter(|(c, _)| c == column).map(|(_, o)| *o);
        let next = match sorted {
            Some(SortOrder::Ascending) => SortOrder::Descending,
            _ => SortOrder::Ascending,
        };
        let href = self.href(Some(&(column.to_owned(), next)), 1);
        SortLink { label: column.to_owned(), sorted, href, numeric }
    }
}

/// What a `dataframe` shows: a frame (sorted and paged by Polars) or script rows.
enum Source<'a> {
    Frame(Frame),
    Records(Records<'a>),
}

impl<'a> Source<'a> {
    /// The data, narrowed to `columns` (in that order) when given.
    /// `rows`: the script's rows when `data` is an array the caller holds (read in place).
    fn read(
        data: &Dynamic,
        rows: Option<&'a Array>,
        columns: Option<Vec<String>>,
        pos: Position,
    ) -> Result<Self, Box<EvalAltResult>> {
        if let Some(frame) = data.read_lock::<Frame>().map(|f| f.clone()) {
            return match columns {
                Some(names) => frame::select_columns(&frame, &names).map(Self::Frame).map_err(|m| error(m, pos)),
                None => Ok(Self::Frame(frame)),
            };
        }
        let mut records = Records::in_place(data, rows, MAX_FRAME_ROWS, pos)?;
        if let Some(columns) = columns {
            // Script maps keep their keys sorted: this option picks the columns and their order.
            records.columns = columns;
        }
        Ok(Self::Records(records))
    }

    fn columns(&self) -> Vec<String> {
        match self {
            Self::Frame(frame) => frame.column_names(),
            Self::Records(records) => records.columns.clone(),
        }
    }

    fn height(&self) -> usize {
        match self {
            Self::Frame(frame) => frame.height(),
            Self::Records(records) => records.rows.len(),
        }
    }

    /// `len` rows from `offset` after the viewer's sort.
    fn page(
        self,
        sort: Option<&(String, SortOrder)>,
        offset: usize,
        len: usize,
        pos: Position,
    ) -> Result<Page, Box<EvalAltResult>> {
        match self {
            Self::Frame(frame) => {
                let sort = sort.map(|(c, o)| (c.as_str(), *o == SortOrder::Descending));
                frame::page(&frame, sort, offset, len).map_err(|m| error(m, pos))
            }
            Self::Records(mut records) => {
                if let Some((column, order)) = sort {
                    sort_rows(&mut records, column, *order);
                }
                let columns = records.columns.iter().map(|c| (c.clone(), records.is_numeric(c))).collect();
                let cell = |v: Option<&Dynamic>| PageCell {
                    text: v.map(convert::display).unwrap_or_default(),
                    number: v.filter(|v| !v.is_unit()).and_then(number),
                };
                let rows = records.rows.iter().skip(offset).take(len);
                let rows = rows.map(|r| records.columns.iter().map(|c| cell(r.get(c.as_str()))).collect()).collect();
                Ok(Page { columns, rows, total_rows: records.rows.len() })
            }
        }
    }
}

fn dataframe(target: ContainerId, pos: Position, data: &Dynamic, opts: Map) -> Res {
    let opts =
        Options::new(opts, pos, &["key", "page_size", "columns", "format", "labels", "width", "use_container_width"])?;
    let width = width::read(&opts, Width::Stretch, 1)?;
    let page_size = opts.int("page_size")?.unwrap_or(20);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(error(format!("page_size must be between 1 and {MAX_PAGE_SIZE}"), pos));
    }
    let columns = match opts.raw("columns") {
        None => None,
        Some(_) => Some(
            opts.strings("columns")
                .map_err(|_| error("option `columns` must be an array of field names".into(), pos))?
                .unwrap_or_default(),
        ),
    };
    let held = data.read_lock::<Array>();
    let source = Source::read(data, held.as_deref(), columns, pos)?;
    let names = source.columns();
    let formats = Formats::read(opts.map("format")?, opts.map("labels")?, &names, pos)?;
    let (count, query) = context::with(|c| {
        let count = c.page.walk().iter().filter(|e| matches!(e, Element::DataFrame(_))).count();
        (count, c.query.clone())
    })?;
    let key = opts.key()?.unwrap_or_else(|| if count == 0 { "df".into() } else { format!("df{count}") });
    let view = View::read(key, query, &names);
    let page_size = page_size as usize;
    let total_rows = source.height();
    let pages = total_rows.div_ceil(page_size).max(1);
    let page = view.page.min(pages);
    let shown = source.page(view.sort.as_ref(), (page - 1) * page_size, page_size, pos)?;
    let rows =
        shown.rows.iter().map(|r| r.iter().zip(&names).map(|(cell, c)| formats.apply(c, cell)).collect()).collect();
    let columns = shown
        .columns
        .iter()
        .map(|(c, numeric)| SortLink { label: formats.label(c), ..view.header(c, *numeric) })
        .collect();
    let sort = view.sort.as_ref();
    let frame = DataFrame {
        columns,
        rows,
        page,
        pages,
        total_rows,
        prev_href: (page > 1).then(|| view.href(sort, page - 1)),
        next_href: (page < pages).then(|| view.href(sort, page + 1)),
        width,
    };
    draw(target, Element::DataFrame(Arc::new(frame)))
}

/// `write(frame)`: the frame as a data frame element with the default options.
pub(super) fn write_frame(target: ContainerId, pos: Position, frame: Frame) -> Res {
    dataframe(target, pos, &Dynamic::from(frame), Map::new())
}

/// A stable sort by one column: numbers by value, other values by their text, blanks last.
fn sort_rows(records: &mut Records, column: &str, order: SortOrder) {
    let key = |row: &Map| row.get(column).filter(|v| !v.is_unit()).cloned();
    records.rows.sort_by(|a, b| {
        let ordering = match (key(a), key(b)) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(x), Some(y)) => match (number(&x), number(&y)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => convert::display(&x).cmp(&convert::display(&y)),
            },
        };
        if order == SortOrder::Descending { ordering.reverse() } else { ordering }
    });
}

/// `download_button(label, data, #{ file_name, mime })`: a link that saves script data as a
/// file. Strings are sent as they are; frames as CSV, JSON or Parquet; rows become CSV, other
/// values JSON.
fn download(target: ContainerId, pos: Position, label: ImmutableString, data: Dynamic, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["file_name", "mime", "key", "help"])?;
    let file_name = opts.string("file_name")?;
    let mime = match opts.string("mime")? {
        Some(mime) => mime,
        None => default_mime(&data, file_name.as_deref()).into(),
    };
    if !DOWNLOAD_TYPES.contains(&mime.as_str()) {
        return Err(error(format!("mime must be one of {}, not {mime:?}", DOWNLOAD_TYPES.join(", ")), pos));
    }
    let bytes = download_bytes(data, &mime, pos)?;
    if bytes.len() > MAX_DOWNLOAD_BYTES {
        return Err(error(format!("a download carries at most {MAX_DOWNLOAD_BYTES} bytes"), pos));
    }
    let extension = match mime.as_str() {
        "text/csv" => "csv",
        "application/json" => "json",
        PARQUET => "parquet",
        _ => "txt",
    };
    let file_name = file_name.unwrap_or_else(|| format!("data.{extension}"));
    let charset = if mime == PARQUET { "" } else { ";charset=utf-8" };
    let href = format!("data:{mime}{charset};base64,{}", base64::engine::general_purpose::STANDARD.encode(&bytes));
    draw(target, Element::Download(Arc::new(Download { label: label.into(), file_name, mime, href })))
}

fn download_bytes(data: Dynamic, mime: &str, pos: Position) -> Result<Vec<u8>, Box<EvalAltResult>> {
    if let Some(frame) = data.read_lock::<Frame>().map(|f| f.clone()) {
        let bytes = match mime {
            "application/json" => frame::to_json(&frame),
            PARQUET => frame::to_parquet(&frame),
            _ => frame::to_csv(&frame),
        };
        return bytes.map_err(|m| error(format!("could not write the download: {m}"), pos));
    }
    match mime {
        _ if data.is_string() => Ok(convert::display(&data).into_bytes()),
        "text/csv" => to_csv(Records::from_dynamic(data, MAX_FRAME_ROWS, pos)?, pos),
        PARQUET => Err(error("a Parquet download needs a data frame: make one with frame(rows)".into(), pos)),
        _ => Ok(convert::pretty(&data).into_bytes()),
    }
}

/// The type a download gets without `mime`: from the file name's extension, else from the data.
fn default_mime(data: &Dynamic, file_name: Option<&str>) -> &'static str {
    let extension = file_name.and_then(|f| f.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv") => "text/csv",
        Some("parquet") if data.is::<Frame>() => PARQUET,
        Some("json") if data.is::<Frame>() => "application/json",
        _ if data.is_array() || data.is::<Frame>() => "text/csv",
        _ if data.is_string() => "text/plain",
        _ => "application/json",
    }
}

fn to_csv(records: Records, pos: Position) -> Result<Vec<u8>, Box<EvalAltResult>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| error(format!("could not write CSV: {e}"), pos);
    writer.write_record(&records.columns).map_err(failed)?;
    for row in &records.rows {
        let cells = records.columns.iter().map(|c| row.get(c.as_str()).map(convert::display).unwrap_or_default());
        writer.write_record(cells).map_err(failed)?;
    }
    writer.into_inner().map_err(|e| error(format!("could not write CSV: {e}"), pos))
}
