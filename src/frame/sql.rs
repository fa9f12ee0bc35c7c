//! `sql(#{ name: frame, … }, query)`: SQL over the frames a script names, through Polars' SQL
//! engine. Only those frames are tables: Polars' table functions that read files
//! (`read_csv('…')` and friends) would reach past the data folder, so a query that calls one is
//! refused before it runs.

use polars::prelude::IntoLazy;
use polars::sql::SQLContext;

use super::{Caps, Frame, explain};

/// Polars SQL's table functions: each reads a file by path.
const FILE_FUNCTIONS: [&str; 5] = ["read_csv", "read_parquet", "read_ipc", "read_json", "read_ndjson"];

pub fn query(tables: &[(String, Frame)], query: &str, caps: Caps) -> Result<Frame, String> {
    if let Some(name) = file_function(query) {
        return Err(format!(
            "sql() reads only the frames it is given; `{name}(…)` is not allowed (use {name}(name) in the script)"
        ));
    }
    let mut context = SQLContext::new();
    for (name, frame) in tables {
        context.register(name, frame.df().clone().lazy());
    }
    let result = context.execute(query).and_then(|lazy| lazy.collect()).map_err(|e| format!("SQL: {}", explain(e)))?;
    caps.check(Frame::new(result))
}

/// The first file-reading table function the query calls, if any (quotes ignored, any case).
fn file_function(query: &str) -> Option<&'static str> {
    let plain: String =
        query.chars().filter(|c| !matches!(c, '"' | '`' | '[' | ']')).collect::<String>().to_lowercase();
    FILE_FUNCTIONS.into_iter().find(|name| {
        plain.match_indices(name).any(|(at, _)| {
            let before = plain[..at].chars().next_back();
            let after = plain[at + name.len()..].trim_start();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.starts_with('(')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::file_function;

    #[test]
    fn table_functions_that_read_files_are_found_however_they_are_written() {
        assert_eq!(file_function("SELECT * FROM read_csv('/etc/passwd')"), Some("read_csv"));
        assert_eq!(file_function("select * from \"READ_PARQUET\" ('x')"), Some("read_parquet"));
        assert_eq!(file_function("SELECT read_csv FROM t"), None, "a column of that name is fine");
        assert_eq!(file_function("SELECT * FROM my_read_csv(1)"), None);
    }
}
