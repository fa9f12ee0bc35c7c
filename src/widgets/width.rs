//! The width options of charts, maps, images and tables, read as Streamlit's: `width` (pixels,
//! `"stretch"` or `"content"`) and `use_container_width` (`true` stretches, `false` keeps `width`
//! or the element's own width). Anything else is an error at the call's line.

use rhai::EvalAltResult;

use super::options::Options;
use crate::page::{MAX_PIXELS, Width};

/// The option names, to add to a function's allowed list.
pub const OPTIONS: [&str; 2] = ["use_container_width", "width"];

/// The element's width from its options; `default` without either, `least` the fewest pixels
/// that still draw it legibly.
pub fn read(opts: &Options, default: Width, least: u32) -> Result<Width, Box<EvalAltResult>> {
    let width = match opts.raw("width") {
        None => None,
        Some(value) => Some(named_or_pixels(opts, value, least)?),
    };
    let fill = match opts.raw("use_container_width") {
        None => None,
        Some(v) => Some(v.as_bool().map_err(|_| {
            opts.fail(format!("option `use_container_width` must be true or false, not {}", v.type_name()))
        })?),
    };
    match (fill, width) {
        (Some(true), Some(Width::Pixels(px))) => Err(opts.fail(format!(
            "options `use_container_width: true` and `width: {px}` contradict each other; give one of them"
        ))),
        (Some(true), _) => Ok(Width::Stretch),
        (Some(false), Some(Width::Stretch)) => Err(opts.fail(
            "options `use_container_width: false` and `width: \"stretch\"` contradict each other; give one of them"
                .into(),
        )),
        (Some(false), None) => Ok(Width::Content),
        (_, Some(width)) => Ok(width),
        (None, None) => Ok(default),
    }
}

fn named_or_pixels(opts: &Options, value: &rhai::Dynamic, least: u32) -> Result<Width, Box<EvalAltResult>> {
    if let Ok(px) = value.as_int() {
        return match u32::try_from(px) {
            Ok(px) if (least..=MAX_PIXELS).contains(&px) => Ok(Width::Pixels(px)),
            _ => Err(opts.fail(format!("option `width` is {least} to {MAX_PIXELS} pixels here, not {px}"))),
        };
    }
    match value.clone().into_string().ok().as_deref() {
        Some("stretch") => Ok(Width::Stretch),
        Some("content") => Ok(Width::Content),
        _ => Err(opts.fail(format!(
            "option `width` is a whole number of pixels, \"stretch\" or \"content\", not {value} ({})",
            value.type_name()
        ))),
    }
}
