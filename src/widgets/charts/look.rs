//! The options that shape any chart: titles, `legend`, `stack`, `x_range`/`y_range` and
//! `y_format`. Each is read strictly: a value the chart cannot use is an error with its line.

use rhai::EvalAltResult;

use crate::page::{AxisFormat, Chart, Legend, Stack};
use crate::widgets::options::Options;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Reads the options every chart kind shares, where the kind allows them (the allowed list is
/// checked first by [`Options::new`], so an option that is not there reads as absent).
pub fn read(opts: &Options, chart: &mut Chart) -> Res<()> {
    chart.title = opts.string("title")?.unwrap_or_default();
    chart.legend = legend(opts)?;
    chart.y_format = y_format(opts)?;
    chart.x_range = range(opts, "x_range")?;
    chart.y_range = range(opts, "y_range")?;
    chart.stack = stack(opts)?;
    chart.horizontal = opts.bool("horizontal", false)?;
    Ok(())
}

fn legend(opts: &Options) -> Res<Legend> {
    match opts.string("legend")?.as_deref() {
        None | Some("top") => Ok(Legend::Top),
        Some("right") => Ok(Legend::Right),
        Some("bottom") => Ok(Legend::Bottom),
        Some("none") => Ok(Legend::None),
        Some(other) => {
            Err(opts.fail(format!("option `legend` is \"top\", \"right\", \"bottom\" or \"none\", not {other:?}")))
        }
    }
}

/// Streamlit's `stack`: `true` (the default), `false`, `"normalize"`, `"center"`, `"layered"`.
fn stack(opts: &Options) -> Res<Stack> {
    let Some(value) = opts.raw("stack") else { return Ok(Stack::Stacked) };
    if let Ok(stacked) = value.as_bool() {
        return Ok(if stacked { Stack::Stacked } else { Stack::Grouped });
    }
    match value.clone().into_string().ok().as_deref() {
        Some("normalize") => Ok(Stack::Normalized),
        Some("center") => Ok(Stack::Centered),
        Some("layered") => Ok(Stack::Layered),
        _ => {
            Err(opts
                .fail(format!("option `stack` is true, false, \"normalize\", \"center\" or \"layered\", not {value}")))
        }
    }
}

/// `[low, high]` with low below high.
fn range(opts: &Options, name: &str) -> Res<Option<(f64, f64)>> {
    let Some(value) = opts.raw(name) else { return Ok(None) };
    let numbers: Option<Vec<f64>> = value
        .clone()
        .try_cast::<rhai::Array>()
        .map(|items| items.iter().map(crate::widgets::records::number).collect::<Option<Vec<f64>>>())
        .unwrap_or(None);
    match numbers.as_deref() {
        Some(&[lo, hi]) if lo < hi => Ok(Some((lo, hi))),
        _ => Err(opts.fail(format!("option `{name}` is [low, high], two numbers with low below high, not {value}"))),
    }
}

/// `"compact"` (1.5k, the default), `"number"`, `"number:N"`, `"percent"`, `"percent:N"`.
fn y_format(opts: &Options) -> Res<AxisFormat> {
    let Some(spec) = opts.string("y_format")? else { return Ok(AxisFormat::Compact) };
    let (kind, decimals) = spec.split_once(':').map_or((spec.as_str(), None), |(k, d)| (k, Some(d)));
    let decimals = match decimals.map(|d| d.parse::<u8>().ok().filter(|d| *d <= 10)) {
        None => None,
        Some(Some(d)) => Some(d),
        Some(None) => return Err(opts.fail(format!("y_format {spec:?}: decimals are a number from 0 to 10"))),
    };
    match kind {
        "compact" if decimals.is_none() => Ok(AxisFormat::Compact),
        "number" => Ok(AxisFormat::Number(decimals)),
        "percent" => Ok(AxisFormat::Percent(decimals.unwrap_or(0))),
        _ => Err(opts.fail(format!(
            "option `y_format` is \"compact\", \"number\", \"number:N\", \"percent\" or \"percent:N\", not {spec:?}"
        ))),
    }
}
