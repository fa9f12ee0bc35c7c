//! How a `dataframe` shows its columns: `labels` (a header text per column) and `format` (per
//! column: `"number"`, `"number:2"`, `"percent"`, `"percent:1"`, `"date:DD.MM.YYYY"`).
//! A format or label for a column the data does not have is an error, not silently ignored.

use std::collections::BTreeMap;

use rhai::{EvalAltResult, Map, Position};

use super::options::error;
use crate::frame::PageCell;

/// One column's format.
#[derive(Debug, Clone, PartialEq)]
enum Format {
    /// Thousands separated, with this many decimals (`None`: as many as the value has, up to 6).
    Number(Option<usize>),
    /// Times 100, with a `%` sign.
    Percent(usize),
    /// An ISO date (`2024-03-09…`) rearranged: `YYYY`, `MM` and `DD` in a pattern.
    Date(String),
}

#[derive(Debug, Default)]
pub struct Formats {
    formats: BTreeMap<String, Format>,
    labels: BTreeMap<String, String>,
}

type Res<T> = Result<T, Box<EvalAltResult>>;

impl Formats {
    /// Reads the `format` and `labels` maps against the data's `columns`.
    pub fn read(format: Option<Map>, labels: Option<Map>, columns: &[String], pos: Position) -> Res<Self> {
        let known = |name: &str, option: &str| {
            if columns.iter().any(|c| c == name) {
                Ok(())
            } else {
                Err(error(
                    format!("option `{option}` names `{name}`, which is not a column ({})", columns.join(", ")),
                    pos,
                ))
            }
        };
        let mut formats = BTreeMap::new();
        for (name, spec) in format.unwrap_or_default() {
            known(&name, "format")?;
            let spec =
                spec.into_string().map_err(|_| error(format!("the format of `{name}` must be a string"), pos))?;
            formats.insert(name.to_string(), parse(&spec).map_err(|m| error(format!("format of `{name}`: {m}"), pos))?);
        }
        let mut texts = BTreeMap::new();
        for (name, label) in labels.unwrap_or_default() {
            known(&name, "labels")?;
            let label =
                label.into_string().map_err(|_| error(format!("the label of `{name}` must be a string"), pos))?;
            texts.insert(name.to_string(), label);
        }
        Ok(Self { formats, labels: texts })
    }

    pub fn label(&self, column: &str) -> String {
        self.labels.get(column).cloned().unwrap_or_else(|| column.to_owned())
    }

    /// The cell's text in its column's format (cells that do not fit the format stay as they are).
    pub fn apply(&self, column: &str, cell: &PageCell) -> String {
        match (self.formats.get(column), cell.number) {
            (Some(Format::Number(decimals)), Some(n)) => number(n, *decimals),
            (Some(Format::Percent(decimals)), Some(n)) => format!("{}%", number(n * 100.0, Some(*decimals))),
            (Some(Format::Date(pattern)), _) => date(&cell.text, pattern).unwrap_or_else(|| cell.text.clone()),
            _ => cell.text.clone(),
        }
    }
}

fn parse(spec: &str) -> Result<Format, String> {
    let (kind, arg) = spec.split_once(':').map_or((spec, None), |(k, a)| (k, Some(a)));
    let decimals = |arg: Option<&str>, default: Option<usize>| match arg {
        None => Ok(default),
        Some(a) => {
            a.parse::<usize>().ok().filter(|d| *d <= 10).map(Some).ok_or(format!("{a:?} is not 0 to 10 decimals"))
        }
    };
    match kind {
        "number" => Ok(Format::Number(decimals(arg, None)?)),
        "percent" => Ok(Format::Percent(decimals(arg, Some(0))?.unwrap_or(0))),
        "date" => Ok(Format::Date(arg.unwrap_or("YYYY-MM-DD").to_owned())),
        _ => Err(format!("{spec:?} is not one of number, number:N, percent, percent:N, date, date:PATTERN")),
    }
}

/// `1234567.891` -> `1,234,567.89` (with 2 decimals).
fn number(value: f64, decimals: Option<usize>) -> String {
    let text = match decimals {
        Some(d) => format!("{value:.d$}"),
        None if value.fract() == 0.0 => format!("{value:.0}"),
        None => format!("{value:.6}").trim_end_matches('0').to_owned(),
    };
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(f) if !f.is_empty() => format!("{sign}{grouped}.{f}"),
        _ => format!("{sign}{grouped}"),
    }
}

/// `2024-03-09` (or a date-time starting so) in a pattern of `YYYY`, `MM` and `DD`.
fn date(text: &str, pattern: &str) -> Option<String> {
    let (year, rest) = text.split_at_checked(4)?;
    let (month, day) = (rest.get(1..3)?, rest.get(4..6)?);
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    (digits(year) && digits(month) && digits(day))
        .then(|| pattern.replace("YYYY", year).replace("MM", month).replace("DD", day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands_with_the_decimals_asked_for() {
        assert_eq!(number(1_234_567.891, Some(2)), "1,234,567.89");
        assert_eq!(number(-1234.0, None), "-1,234");
        assert_eq!(number(999.5, None), "999.5");
        assert_eq!(number(0.125, Some(1)), "0.1");
    }

    #[test]
    fn dates_follow_the_pattern_and_other_text_is_left_alone() {
        assert_eq!(date("2024-03-09", "DD.MM.YYYY").as_deref(), Some("09.03.2024"));
        assert_eq!(date("2024-03-09 10:00:00", "MM/DD").as_deref(), Some("03/09"));
        assert_eq!(date("soon", "DD.MM.YYYY"), None);
    }

    #[test]
    fn an_unknown_format_is_refused_with_the_list_of_formats() {
        assert!(parse("money").unwrap_err().contains("number, number:N, percent"));
        assert!(parse("number:x").is_err());
        assert_eq!(parse("percent:1"), Ok(Format::Percent(1)));
    }
}
