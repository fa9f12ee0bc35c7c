//! The offline basemap: Natural Earth's 1:110m country shapes (public domain), as world-atlas
//! ships them in TopoJSON (`static/basemap/`), decoded once into rings of longitude/latitude.

use std::sync::OnceLock;

use serde_json::Value;

const TOPOLOGY: &str = include_str!("../../static/basemap/countries-110m.json");

/// One country: its name and its outline as closed rings of `(lon, lat)`.
pub struct Country {
    pub name: String,
    pub rings: Vec<Vec<(f64, f64)>>,
    /// `(min_lon, min_lat, max_lon, max_lat)`.
    pub bounds: (f64, f64, f64, f64),
}

/// Every country of the basemap, decoded on first use.
pub fn countries() -> &'static [Country] {
    static COUNTRIES: OnceLock<Vec<Country>> = OnceLock::new();
    COUNTRIES.get_or_init(|| decode(TOPOLOGY).unwrap_or_default())
}

/// Decodes a TopoJSON topology's `countries` object (quantized, delta-encoded arcs).
fn decode(text: &str) -> Option<Vec<Country>> {
    let topology: Value = serde_json::from_str(text).ok()?;
    let transform = &topology["transform"];
    let scale = (transform["scale"][0].as_f64()?, transform["scale"][1].as_f64()?);
    let translate = (transform["translate"][0].as_f64()?, transform["translate"][1].as_f64()?);
    let arcs: Vec<Vec<(f64, f64)>> = topology["arcs"]
        .as_array()?
        .iter()
        .map(|arc| {
            let (mut x, mut y) = (0.0, 0.0);
            let points = arc.as_array().map(Vec::as_slice).unwrap_or_default();
            points
                .iter()
                .map(|p| {
                    x += p[0].as_f64().unwrap_or(0.0);
                    y += p[1].as_f64().unwrap_or(0.0);
                    (x * scale.0 + translate.0, y * scale.1 + translate.1)
                })
                .collect()
        })
        .collect();
    let geometries = topology["objects"]["countries"]["geometries"].as_array()?;
    Some(geometries.iter().filter_map(|g| country(g, &arcs)).collect())
}

fn country(geometry: &Value, arcs: &[Vec<(f64, f64)>]) -> Option<Country> {
    let name = geometry["properties"]["name"].as_str().unwrap_or_default().to_owned();
    let polygons: Vec<&Value> = match geometry["type"].as_str()? {
        "Polygon" => vec![&geometry["arcs"]],
        "MultiPolygon" => geometry["arcs"].as_array()?.iter().collect(),
        _ => return None,
    };
    let rings: Vec<Vec<(f64, f64)>> = polygons
        .iter()
        .filter_map(|polygon| polygon.as_array())
        .flatten()
        .filter_map(|ring| ring.as_array().map(|indexes| stitch(indexes, arcs)))
        .collect();
    let mut bounds = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(lon, lat) in rings.iter().flatten() {
        bounds = (bounds.0.min(lon), bounds.1.min(lat), bounds.2.max(lon), bounds.3.max(lat));
    }
    Some(Country { name, rings, bounds })
}

/// A ring from its arcs; `~i` (a negative index) is arc `i` backwards. Each arc after the
/// first starts where the one before ended, so that shared point is dropped.
fn stitch(indexes: &[Value], arcs: &[Vec<(f64, f64)>]) -> Vec<(f64, f64)> {
    let mut ring: Vec<(f64, f64)> = Vec::new();
    for index in indexes.iter().filter_map(Value::as_i64) {
        let (arc, backwards) = if index < 0 { (!index, true) } else { (index, false) };
        let Some(points) = usize::try_from(arc).ok().and_then(|i| arcs.get(i)) else { continue };
        let skip = usize::from(!ring.is_empty());
        if backwards {
            ring.extend(points.iter().rev().skip(skip));
        } else {
            ring.extend(points.iter().skip(skip));
        }
    }
    ring
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basemap_has_the_countries_of_natural_earth() {
        let all = countries();
        assert!(all.len() > 170, "{} countries", all.len());
        let france = all.iter().find(|c| c.name == "France").expect("France");
        // Mainland France lies within about 5°W..10°E and 41°N..51°N (French Guiana widens it).
        assert!(
            france
                .rings
                .iter()
                .any(|r| r.iter().all(|&(lon, lat)| (-5.5..10.0).contains(&lon) && (41.0..51.5).contains(&lat)))
        );
    }
}
