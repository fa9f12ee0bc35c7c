//! Dates, times and colours as they travel between the browser, the store and the script:
//! ISO text (`2024-05-01`, `09:30`, `2024-05-01T09:30`, `#ff8800`), parsed strictly and written
//! back in one canonical form, so that equal values are equal strings and sort in time order.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

pub const DATE: &str = "%Y-%m-%d";
const TIME_MINUTES: &str = "%H:%M";
const TIME_SECONDS: &str = "%H:%M:%S";

/// A date in `YYYY-MM-DD` form.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    if text.len() != 10 {
        return Err(format!("expected a date as YYYY-MM-DD, got {text:?}"));
    }
    NaiveDate::parse_from_str(text, DATE).map_err(|_| format!("expected a date as YYYY-MM-DD, got {text:?}"))
}

/// A time of day as `HH:MM` or `HH:MM:SS`.
pub fn parse_time(text: &str) -> Result<NaiveTime, String> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, TIME_SECONDS)
        .or_else(|_| NaiveTime::parse_from_str(text, TIME_MINUTES))
        .map_err(|_| format!("expected a time as HH:MM, got {text:?}"))
}

/// A date and time as `YYYY-MM-DDTHH:MM` (or with seconds, or a space for the `T`).
pub fn parse_datetime(text: &str) -> Result<NaiveDateTime, String> {
    let text = text.trim();
    let Some((date, time)) = text.split_once(['T', ' ']) else {
        return Err(format!("expected a date and time as YYYY-MM-DDTHH:MM, got {text:?}"));
    };
    Ok(parse_date(date)?.and_time(parse_time(time)?))
}

/// The canonical text of a time: minutes only when the step is whole minutes.
pub fn time_text(time: NaiveTime, step_seconds: u32) -> String {
    time.format(if step_seconds.is_multiple_of(60) { TIME_MINUTES } else { TIME_SECONDS }).to_string()
}

pub fn datetime_text(at: NaiveDateTime, step_seconds: u32) -> String {
    format!("{}T{}", at.date().format(DATE), time_text(at.time(), step_seconds))
}

/// Whether a time lies on the step grid that starts at midnight.
pub fn on_step(time: NaiveTime, step_seconds: u32) -> bool {
    step_seconds > 0 && time.num_seconds_from_midnight().is_multiple_of(step_seconds) && time.nanosecond() == 0
}

/// A colour as `#rrggbb` (any case), written back in lower case.
pub fn parse_color(text: &str) -> Result<String, String> {
    let text = text.trim();
    let hex = text.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
    match hex {
        Some(hex) => Ok(format!("#{}", hex.to_ascii_lowercase())),
        None => Err(format!("expected a colour as #rrggbb, got {text:?}")),
    }
}

/// The same calendar day `years` later (29 February becomes 28 February).
pub fn add_years(date: NaiveDate, years: i32) -> NaiveDate {
    let year = date.year() + years;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
        .unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_real_iso_days() {
        assert_eq!(parse_date("2024-02-29").map(|d| d.to_string()), Ok("2024-02-29".into()));
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-2-9").is_err());
        assert!(parse_date("01/05/2024").is_err());
    }

    #[test]
    fn times_are_written_with_seconds_only_when_the_step_needs_them() {
        let t = parse_time("09:30").unwrap();
        assert_eq!(time_text(t, 900), "09:30");
        assert_eq!(time_text(t, 30), "09:30:00");
        assert!(on_step(t, 900));
        assert!(!on_step(parse_time("09:31").unwrap(), 900));
        assert!(parse_time("25:00").is_err());
    }

    #[test]
    fn colours_are_six_hex_digits_written_in_lower_case() {
        assert_eq!(parse_color("#FF8800"), Ok("#ff8800".into()));
        assert!(parse_color("#f80").is_err());
        assert!(parse_color("red").is_err());
        assert!(parse_color("#gg0000").is_err());
    }

    #[test]
    fn ten_years_on_from_a_leap_day_is_the_28th_of_february() {
        let leap = parse_date("2024-02-29").unwrap();
        assert_eq!(add_years(leap, 10).to_string(), "2034-02-28");
        assert_eq!(add_years(leap, -10).to_string(), "2014-02-28");
    }
}
