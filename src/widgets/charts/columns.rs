//! From rows to points: which fields a chart reads, each row's x position (a number, the row
//! index, or the index of its category), and the series split by `y` fields and `color`.

use std::collections::HashMap;

use rhai::{EvalAltResult, Position};

use crate::page::Series;
use crate::widgets::convert;
use crate::widgets::options::{Options, error};
use crate::widgets::records::{Records, number};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Most series one chart draws.
pub const MAX_SERIES: usize = 24;

/// Fails unless every named field is a column of the data.
pub fn known<'a>(records: &Records, fields: impl IntoIterator<Item = &'a String>, pos: Position) -> Res<()> {
    for field in fields {
        if !records.columns.contains(field) {
            let list = records.columns.join(", ");
            return Err(error(format!("the data has no field `{field}` (its fields: {list})"), pos));
        }
    }
    Ok(())
}

/// The `y` option (or `name`) as a list of fields; without it, every numeric field not in
/// `except`.
pub fn fields(opts: &Options, name: &str, records: &Records, except: &[Option<&str>]) -> Res<Vec<String>> {
    match opts.raw(name) {
        Some(y) if y.is_string() => Ok(vec![convert::display(y)]),
        Some(_) => Ok(opts.strings(name)?.unwrap_or_default()),
        None => Ok(records
            .columns
            .iter()
            .filter(|c| !except.contains(&Some(c.as_str())) && records.is_numeric(c))
            .cloned()
            .collect()),
    }
}

/// Each row's position on an axis: the number itself, or the index of its category (numeric
/// categories in numeric order, others in the order they first appear). Without a field, the
/// row index.
pub fn positions(records: &Records, field: Option<&str>, categorical: bool) -> (Vec<Option<f64>>, Option<Vec<String>>) {
    let Some(field) = field else {
        let xs = (0..records.rows.len()).map(|i| Some(i as f64)).collect();
        return (xs, categorical.then(|| (0..records.rows.len()).map(|i| i.to_string()).collect()));
    };
    let cells = || records.rows.iter().map(|r| records.cell(r, field));
    if !categorical {
        return (cells().map(|c| c.and_then(number)).collect(), None);
    }
    let mut names: Vec<(Option<f64>, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for cell in cells().flatten() {
        let name = convert::display(cell);
        if !index.contains_key(&name) {
            index.insert(name.clone(), names.len());
            names.push((number(cell), name));
        }
    }
    if records.is_numeric(field) {
        names.sort_by(|a, b| a.0.unwrap_or(0.0).total_cmp(&b.0.unwrap_or(0.0)));
        for (i, (_, name)) in names.iter().enumerate() {
            index.insert(name.clone(), i);
        }
    }
    let xs = cells().map(|c| c.map(|c| index[&convert::display(c)] as f64)).collect();
    (xs, Some(names.into_iter().map(|(_, n)| n).collect()))
}

/// What else a point carries besides x and y.
#[derive(Default)]
pub struct Extras<'a> {
    /// Dot size by this numeric field.
    pub size: Option<&'a str>,
    /// Shade by this numeric field (instead of splitting series by it).
    pub shade: Option<&'a str>,
}

/// One series per y field, or per y field and colour value; rows without a number are skipped.
pub fn split(
    records: &Records,
    xs: &[Option<f64>],
    y: &[String],
    color: Option<&str>,
    extras: &Extras,
    pos: Position,
) -> Res<Vec<Series>> {
    let mut series: Vec<Series> = Vec::new();
    let mut at_name: HashMap<String, usize> = HashMap::new();
    for field in y {
        for (row, x) in records.rows.iter().zip(xs) {
            let (Some(x), Some(value)) = (x, records.cell(row, field).and_then(number)) else { continue };
            let size = extras.size.map(|f| records.cell(row, f).and_then(number));
            let shade = extras.shade.map(|f| records.cell(row, f).and_then(number));
            if matches!(size, Some(None)) || matches!(shade, Some(None)) {
                continue;
            }
            let name = match color.and_then(|c| records.cell(row, c)) {
                Some(group) if y.len() > 1 => format!("{field} · {}", convert::display(group)),
                Some(group) => convert::display(group),
                None => field.clone(),
            };
            let at = match at_name.get(&name) {
                Some(at) => *at,
                None if series.len() == MAX_SERIES => {
                    return Err(error(format!("a chart draws at most {MAX_SERIES} series"), pos));
                }
                None => {
                    at_name.insert(name.clone(), series.len());
                    let mut new = Series::new(name);
                    new.sizes = size.map(|_| Vec::new());
                    new.shades = shade.map(|_| Vec::new());
                    series.push(new);
                    series.len() - 1
                }
            };
            let s = &mut series[at];
            s.points.push((*x, value));
            if let (Some(sizes), Some(Some(v))) = (s.sizes.as_mut(), size) {
                sizes.push(v);
            }
            if let (Some(shades), Some(Some(v))) = (s.shades.as_mut(), shade) {
                shades.push(v);
            }
        }
    }
    Ok(series)
}

/// Sorts a line's or area's points by x.
pub fn sort_by_x(series: &mut [Series]) {
    for s in series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
}
