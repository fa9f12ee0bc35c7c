//! Pixels made by a script, encoded to PNG: a 2-D array (rows of pixels) whose pixels are all
//! gray values or all RGB triples. Floats are 0.0..=1.0 and integers 0..=255, as in Streamlit.

use rhai::{Array, Dynamic, EvalAltResult, Position};

use super::options::error;

/// Most pixels one image has (its PNG must also fit `[media] max_inline_bytes`).
pub const MAX_PIXELS: usize = 4 << 20;

/// Gray (one channel) or RGB (three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Gray,
    Rgb,
}

/// The pixels as a PNG file.
pub fn to_png(rows: &Array, pos: Position) -> Result<Vec<u8>, Box<EvalAltResult>> {
    let height = rows.len();
    let first = rows.first().and_then(|r| r.read_lock::<Array>().map(|r| r.len())).unwrap_or(0);
    if height == 0 || first == 0 {
        return Err(error("an image needs at least one row of at least one pixel: an array of arrays".into(), pos));
    }
    if height.saturating_mul(first) > MAX_PIXELS {
        return Err(error(format!("an image made by a script has at most {MAX_PIXELS} pixels"), pos));
    }
    let layout = layout_of(&rows[0], pos)?;
    let mut bytes = Vec::with_capacity(height * first * if layout == Layout::Rgb { 3 } else { 1 });
    for (y, row) in rows.iter().enumerate() {
        let Some(row) = row.read_lock::<Array>() else {
            return Err(error(format!("row {y} of the image is not an array"), pos));
        };
        if row.len() != first {
            let message = format!("every row of an image has the same width: row 0 has {first}, row {y} {}", row.len());
            return Err(error(message, pos));
        }
        for (x, pixel) in row.iter().enumerate() {
            push_pixel(&mut bytes, pixel, layout, pos).map_err(|m| error(format!("pixel ({x}, {y}): {m}"), pos))?;
        }
    }
    encode(&bytes, first as u32, height as u32, layout)
        .map_err(|e| error(format!("could not encode the PNG: {e}"), pos))
}

fn layout_of(row: &Dynamic, pos: Position) -> Result<Layout, Box<EvalAltResult>> {
    let pixel = row.read_lock::<Array>().and_then(|r| r.first().cloned()).unwrap_or_default();
    match pixel.read_lock::<Array>().map(|p| p.len()) {
        None => Ok(Layout::Gray),
        Some(3) => Ok(Layout::Rgb),
        Some(n) => Err(error(format!("a pixel is a gray value or an [r, g, b] triple, not {n} values"), pos)),
    }
}

fn push_pixel(bytes: &mut Vec<u8>, pixel: &Dynamic, layout: Layout, _pos: Position) -> Result<(), String> {
    match (layout, pixel.read_lock::<Array>()) {
        (Layout::Gray, None) => bytes.push(channel(pixel)?),
        (Layout::Rgb, Some(rgb)) if rgb.len() == 3 => {
            for value in rgb.iter() {
                bytes.push(channel(value)?);
            }
        }
        _ => return Err("all pixels of an image are gray values, or all are [r, g, b] triples".into()),
    }
    Ok(())
}

/// One channel: a float 0.0..=1.0 or an integer 0..=255.
fn channel(value: &Dynamic) -> Result<u8, String> {
    if let Ok(f) = value.as_float() {
        if (0.0..=1.0).contains(&f) {
            return Ok((f * 255.0).round() as u8);
        }
        return Err(format!("a float value is 0.0..=1.0, not {f}"));
    }
    match value.as_int() {
        Ok(i) => u8::try_from(i).map_err(|_| format!("an integer value is 0..=255, not {i}")),
        Err(kind) => Err(format!("a value is a number, not {kind}")),
    }
}

fn encode(pixels: &[u8], width: u32, height: u32, layout: Layout) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(if layout == Layout::Rgb { png::ColorType::Rgb } else { png::ColorType::Grayscale });
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(values: Vec<Dynamic>) -> Dynamic {
        Dynamic::from_array(values)
    }

    fn decode(png: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn gray_floats_become_an_eight_bit_gray_png() {
        let rows =
            vec![array(vec![0.0.into(), 0.5.into(), 1.0.into()]), array(vec![1.0.into(), 0.0.into(), 0.25.into()])];
        let (info, pixels) = decode(&to_png(&rows, Position::NONE).unwrap());
        assert_eq!((info.width, info.height, info.color_type), (3, 2, png::ColorType::Grayscale));
        assert_eq!(pixels, [0, 128, 255, 255, 0, 64]);
    }

    #[test]
    fn rgb_triples_become_an_rgb_png() {
        let red = array(vec![255.into(), 0.into(), 0.into()]);
        let blue = array(vec![0.into(), 0.into(), 255.into()]);
        let (info, pixels) = decode(&to_png(&vec![array(vec![red, blue])], Position::NONE).unwrap());
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(pixels, [255, 0, 0, 0, 0, 255]);
    }

    #[test]
    fn ragged_rows_mixed_pixels_and_values_out_of_range_are_errors() {
        let cases = [
            (vec![array(vec![1.into(), 2.into()]), array(vec![3.into()])], "same width"),
            (vec![array(vec![1.into(), array(vec![1.into(), 2.into(), 3.into()])])], "all pixels"),
            (vec![array(vec![300.into()])], "0..=255"),
            (vec![array(vec![1.5.into()])], "0.0..=1.0"),
            (vec![], "at least one row"),
        ];
        for (rows, expected) in cases {
            let err = to_png(&rows, Position::NONE).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
