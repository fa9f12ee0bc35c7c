//! Frames built column by column from typed values (what a SQL result decodes to), so that
//! other modules can make a frame without knowing Polars.

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;

use super::{Caps, Frame, explain};

/// The values of one column, all of one type; `None` is a null.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
    Date(Vec<Option<NaiveDate>>),
    /// Date-times without a time zone (a zoned one arrives converted to UTC).
    Timestamp(Vec<Option<NaiveDateTime>>),
    /// A column of nulls only, of this length.
    Null(usize),
}

impl Values {
    fn into_series(self, name: &str) -> Series {
        let name = PlSmallStr::from(name);
        let epoch = chrono::DateTime::UNIX_EPOCH.date_naive();
        match self {
            Values::Int(v) => Series::new(name, v),
            Values::Float(v) => Series::new(name, v),
            Values::Bool(v) => Series::new(name, v),
            Values::Text(v) => Series::new(name, v),
            Values::Date(v) => {
                let days: Vec<Option<i32>> = v.into_iter().map(|d| d.map(|d| (d - epoch).num_days() as i32)).collect();
                Series::new(name, days).into_date()
            }
            Values::Timestamp(v) => {
                let micros: Vec<Option<i64>> =
                    v.into_iter().map(|t| t.map(|t| t.and_utc().timestamp_micros())).collect();
                Series::new(name, micros).into_datetime(TimeUnit::Microseconds, None)
            }
            Values::Null(len) => Series::full_null(name, len, &DataType::Null),
        }
    }
}

/// A frame of `columns` (name and values, in order; all of one length), checked against `caps`.
pub fn from_columns(columns: Vec<(String, Values)>, caps: Caps) -> Result<Frame, String> {
    let mut seen = std::collections::HashSet::new();
    if let Some((name, _)) = columns.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        return Err(format!("the result has two columns named `{name}`: give one an alias (AS another_name)"));
    }
    let columns = columns.into_iter().map(|(name, values)| values.into_series(&name).into_column()).collect();
    let df = DataFrame::new_infer_height(columns).map_err(explain)?;
    caps.check(Frame::new(df))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_columns_keep_their_order_and_types() {
        let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let columns = vec![
            ("id".to_owned(), Values::Int(vec![Some(1), None])),
            ("price".to_owned(), Values::Float(vec![Some(1.5), Some(2.0)])),
            ("ok".to_owned(), Values::Bool(vec![Some(true), None])),
            ("name".to_owned(), Values::Text(vec![Some("a".into()), None])),
            ("day".to_owned(), Values::Date(vec![Some(day), None])),
            ("at".to_owned(), Values::Timestamp(vec![day.and_hms_opt(12, 30, 0), None])),
            ("nothing".to_owned(), Values::Null(2)),
        ];
        let frame = from_columns(columns, Caps::default()).unwrap();
        assert_eq!(frame.column_names(), ["id", "price", "ok", "name", "day", "at", "nothing"]);
        let types: Vec<String> = frame.df().dtypes().iter().map(|t| t.to_string()).collect();
        assert_eq!(types, ["i64", "f64", "bool", "str", "date", "datetime[μs]", "null"]);
        assert_eq!(frame.df().column("day").unwrap().get(0).unwrap().to_string(), "2024-02-29");
    }

    #[test]
    fn two_columns_of_one_name_are_refused() {
        let columns = vec![("a".to_owned(), Values::Null(0)), ("a".to_owned(), Values::Null(0))];
        assert!(from_columns(columns, Caps::default()).unwrap_err().contains("two columns named `a`"));
    }
}
