//! A map as SVG: the basemap's countries (or a tile server's tiles) in Web Mercator, fitted to
//! the points (their bounding box plus a margin, or `zoom` around their centre), and one circle
//! per point with a `<title>` tooltip. Works without JavaScript and without the internet.

use std::f64::consts::PI;
use std::fmt::Write as _;

use super::basemap::{Country, countries};
use super::chart::escape;
use crate::page::{MapView, Width};

pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 420.0;
/// Web Mercator stops short of the poles.
const MAX_LAT: f64 = 85.051_128_78;
/// The smallest part of the world's width a fitted map shows (about 7° of longitude).
const MIN_SPAN: f64 = 0.02;
/// Most tiles one map draws.
const MAX_TILES: usize = 64;

/// The part of the world the map shows, in Web Mercator units (0..1 both ways, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub x0: f64,
    pub y0: f64,
    /// Width of the view; its height is `span * HEIGHT / WIDTH`.
    pub span: f64,
}

impl View {
    /// The SVG position of a longitude and latitude.
    pub fn place(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = mercator(lon, lat);
        ((x - self.x0) / self.span * WIDTH, (y - self.y0) / self.span * WIDTH)
    }

    fn height(&self) -> f64 {
        self.span * HEIGHT / WIDTH
    }

    fn overlaps(&self, country: &Country) -> bool {
        let (min_x, max_y) = mercator(country.bounds.0, country.bounds.1);
        let (max_x, min_y) = mercator(country.bounds.2, country.bounds.3);
        max_x >= self.x0 && min_x <= self.x0 + self.span && max_y >= self.y0 && min_y <= self.y0 + self.height()
    }
}

/// Longitude and latitude in Web Mercator units.
pub fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / PI) / 2.0;
    (x, y)
}

/// The view of a map: the whole world without points; else the points' box with a margin (or
/// `zoom` around their centre), widened to the drawing's proportions.
pub fn fit(map: &MapView) -> View {
    let placed: Vec<(f64, f64)> = map.points.iter().map(|p| mercator(p.lon, p.lat)).collect();
    if placed.is_empty() {
        return View { x0: 0.0, y0: (1.0 - HEIGHT / WIDTH) / 2.0, span: 1.0 };
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &placed {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let span = match map.zoom {
        Some(zoom) => 1.0 / 2f64.powf(zoom.clamp(0.0, 20.0)),
        None => {
            let wide = (x1 - x0) * 1.3;
            let tall = (y1 - y0) * 1.3 * WIDTH / HEIGHT;
            wide.max(tall).clamp(MIN_SPAN, 1.0)
        }
    };
    View { x0: cx - span / 2.0, y0: cy - span * HEIGHT / WIDTH / 2.0, span }
}

/// The map as an SVG element.
pub fn svg(map: &MapView) -> String {
    let view = fit(map);
    let mut out = String::with_capacity(64 * 1024);
    let label = match map.points.len() {
        1 => "Map of 1 point".to_owned(),
        n => format!("Map of {n} points"),
    };
    // Stretched, the stylesheet sizes it; otherwise its `width` does, up to its container.
    let shown = match map.width {
        Width::Stretch => String::new(),
        Width::Content => format!(" width=\"{WIDTH}\""),
        Width::Pixels(px) => format!(" width=\"{px}\""),
    };
    let _ = write!(
        out,
        "<svg class=\"rn-map\"{shown} xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{label}\"><rect class=\"rn-map-sea\" width=\"{WIDTH}\" height=\"{HEIGHT}\"/>"
    );
    match &map.tile_url {
        Some(url) => tiles(&mut out, &view, url),
        None => land(&mut out, &view),
    }
    for point in &map.points {
        let (x, y) = view.place(point.lon, point.lat);
        let _ = write!(
            out,
            "<circle class=\"rn-map-point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{:.1}\" fill=\"{}\"><title>{}</title></circle>",
            point.radius,
            escape(&point.color),
            escape(&point.tooltip)
        );
    }
    out.push_str("</svg>");
    out
}

/// The countries in view, one path each, named in `data-country` and a tooltip.
fn land(out: &mut String, view: &View) {
    for country in countries().iter().filter(|c| view.overlaps(c)) {
        let _ = write!(out, "<path class=\"rn-map-land\" data-country=\"{}\" d=\"", escape(&country.name));
        for ring in &country.rings {
            for (i, &(lon, lat)) in ring.iter().enumerate() {
                let (x, y) = view.place(lon, lat);
                let _ = write!(out, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
            }
            out.push('Z');
        }
        let _ = write!(out, "\"><title>{}</title></path>", escape(&country.name));
    }
}

/// The tiles that cover the view, at the zoom whose tiles are about 256 units wide.
fn tiles(out: &mut String, view: &View, url: &str) {
    let zoom = (WIDTH / 256.0 / view.span).log2().round().clamp(0.0, 19.0) as u32;
    let count = 1u32 << zoom;
    let size = 1.0 / f64::from(count);
    let range = |start: f64, length: f64| {
        let first = (start / size).floor().max(0.0) as u32;
        let last = (((start + length) / size).ceil() as u32).min(count);
        first..last
    };
    let (columns, rows) = (range(view.x0, view.span), range(view.y0, view.height()));
    if columns.len() * rows.len() > MAX_TILES {
        return land(out, view);
    }
    let shown = size / view.span * WIDTH;
    for ty in rows {
        for tx in columns.clone() {
            let href =
                url.replace("{z}", &zoom.to_string()).replace("{x}", &tx.to_string()).replace("{y}", &ty.to_string());
            let (x, y) = (
                (f64::from(tx) * size - view.x0) / view.span * WIDTH,
                (f64::from(ty) * size - view.y0) / view.span * WIDTH,
            );
            let _ = write!(
                out,
                "<image class=\"rn-map-tile\" href=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{shown:.1}\" height=\"{shown:.1}\"/>",
                escape(&href)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::MapPoint;

    fn point(name: &str, lat: f64, lon: f64) -> MapPoint {
        MapPoint { lat, lon, radius: 4.0, color: "#ff0000".into(), tooltip: format!("city: {name}") }
    }

    fn capitals() -> MapView {
        let points = vec![
            point("Paris", 48.8566, 2.3522),
            point("Berlin", 52.52, 13.405),
            point("Madrid", 40.4168, -3.7038),
            point("Rome", 41.9028, 12.4964),
        ];
        MapView { points, zoom: None, tile_url: None, width: crate::page::Width::Stretch }
    }

    /// The value of `attribute` in an SVG tag.
    fn attribute<'a>(tag: &'a str, attribute: &str) -> &'a str {
        let start = tag.find(&format!(" {attribute}=\"")).unwrap() + attribute.len() + 3;
        tag[start..].split('"').next().unwrap()
    }

    /// The circle whose tooltip names `city`: its centre.
    fn circle_of(svg: &str, city: &str) -> (f64, f64) {
        let tag = svg.split("<circle").find(|c| c.contains(&format!("<title>city: {city}</title>"))).unwrap();
        (attribute(tag, "cx").parse().unwrap(), attribute(tag, "cy").parse().unwrap())
    }

    /// The rings of the country path named `name`.
    fn rings_of(svg: &str, name: &str) -> Vec<Vec<(f64, f64)>> {
        let tag = svg.split("<path").find(|p| p.contains(&format!("data-country=\"{name}\""))).unwrap();
        attribute(tag, "d")
            .split('Z')
            .filter(|r| !r.is_empty())
            .map(|ring| {
                ring.split(['M', 'L'])
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (x, y) = p.split_once(' ').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    /// Even-odd point-in-polygon over all rings.
    fn inside(rings: &[Vec<(f64, f64)>], (x, y): (f64, f64)) -> bool {
        let mut crossings = 0;
        for ring in rings {
            for (i, &(x1, y1)) in ring.iter().enumerate() {
                let (x2, y2) = ring[(i + 1) % ring.len()];
                if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                    crossings += 1;
                }
            }
        }
        crossings % 2 == 1
    }

    #[test]
    fn paris_falls_inside_france_and_berlin_inside_germany() {
        let svg = svg(&capitals());
        let (france, germany) = (rings_of(&svg, "France"), rings_of(&svg, "Germany"));
        assert!(inside(&france, circle_of(&svg, "Paris")));
        assert!(inside(&germany, circle_of(&svg, "Berlin")));
        assert!(!inside(&france, circle_of(&svg, "Berlin")));
        assert!(inside(&rings_of(&svg, "Spain"), circle_of(&svg, "Madrid")));
    }

    #[test]
    fn every_point_is_one_circle_with_its_tooltip_inside_the_drawing() {
        let svg = svg(&capitals());
        assert_eq!(svg.matches("<circle").count(), 4);
        for city in ["Paris", "Berlin", "Madrid", "Rome"] {
            let (x, y) = circle_of(&svg, city);
            assert!((0.0..=WIDTH).contains(&x) && (0.0..=HEIGHT).contains(&y), "{city} at {x},{y}");
        }
        assert!(svg.contains("aria-label=\"Map of 4 points\""));
    }

    #[test]
    fn the_view_fits_the_points_with_a_margin_and_leaves_far_countries_out() {
        let svg = svg(&capitals());
        let at: Vec<(f64, f64)> = ["Paris", "Berlin", "Madrid", "Rome"].iter().map(|c| circle_of(&svg, c)).collect();
        let spread = |axis: fn(&(f64, f64)) -> f64| {
            at.iter().map(axis).fold(f64::MIN, f64::max) - at.iter().map(axis).fold(f64::MAX, f64::min)
        };
        // The box is fitted on its longer side (here the height, in Mercator).
        let filled = (spread(|p| p.0) / WIDTH).max(spread(|p| p.1) / HEIGHT);
        assert!(filled > 0.6 && filled < 0.9, "the points fill the map, with a margin: {filled}");
        assert!(svg.contains("data-country=\"Italy\""));
        assert!(!svg.contains("data-country=\"Australia\""), "countries out of view are not drawn");
    }

    #[test]
    fn a_zoom_shows_that_share_of_the_world_around_the_points() {
        let mut map = capitals();
        map.zoom = Some(0.0);
        let view = fit(&map);
        assert!((view.span - 1.0).abs() < 1e-9);
        assert!(svg(&map).contains("data-country=\"Australia\""));
        map.zoom = Some(3.0);
        assert!((fit(&map).span - 0.125).abs() < 1e-9);
    }

    #[test]
    fn with_a_tile_server_the_map_is_drawn_from_its_tiles() {
        let mut map = capitals();
        map.tile_url = Some("https://tiles.example/{z}/{x}/{y}.png".into());
        let svg = svg(&map);
        assert!(!svg.contains("rn-map-land"));
        let tiles = svg.matches("<image class=\"rn-map-tile\"").count();
        assert!((2..=MAX_TILES).contains(&tiles), "{tiles} tiles");
        assert!(svg.contains("href=\"https://tiles.example/"), "{svg}");
    }

    #[test]
    fn tooltips_and_colours_are_escaped() {
        let mut map = capitals();
        map.points[0].tooltip = "<script>alert(1)</script>".into();
        map.points[0].color = "\"><script>".into();
        let svg = svg(&map);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    }
}
