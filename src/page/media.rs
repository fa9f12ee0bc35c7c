//! The page-tree parts of media: images, audio and video, maps and Vega-Lite charts, and the
//! key that makes a data-folder file's URL unguessable and good for one session only.

use hmac::{KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::Width;

/// Where an image's bytes come from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum ImageSource {
    /// Inside the page, as a `data:` URL (script pixels, small files).
    Inline(String),
    /// A file of the data folder, served under a per-session URL.
    DataFile(String),
    /// An https URL of an allowed host; the browser fetches it.
    Remote(String),
}

/// An image with its caption (`image`), or the app's logo (`logo`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Image {
    pub source: ImageSource,
    pub caption: Option<String>,
    /// Its own size up to the container's width by default; or pixels, or the container's width.
    pub width: Width,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum MediaKind {
    Audio,
    Video,
}

/// An audio or video player for a file of the data folder.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Media {
    pub kind: MediaKind,
    /// The file's name inside the data folder.
    pub name: String,
    pub mime: String,
    pub autoplay: bool,
    pub looped: bool,
}

/// One point of a map: where, how big (radius in SVG units), its colour and its tooltip.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MapPoint {
    pub lat: f64,
    pub lon: f64,
    pub radius: f64,
    pub color: String,
    pub tooltip: String,
}

/// Points on a basemap; the renderer fits the view to them (or to `zoom` around their centre).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MapView {
    pub points: Vec<MapPoint>,
    /// A web map zoom level (0 is the whole world).
    pub zoom: Option<f64>,
    /// A tile server URL with `{z}`, `{x}` and `{y}`; `None` draws the shipped country shapes.
    pub tile_url: Option<String>,
    pub width: Width,
}

/// A Vega-Lite chart: the spec with its data inlined, drawn by vega-embed in the browser.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VegaLite {
    /// The spec as JSON.
    pub spec: String,
    /// The spec's title (or a generic name), shown when JavaScript is off.
    pub title: String,
    pub width: Width,
}

/// Signs media URLs: the token names one data-folder file for one session (its CSRF token), so
/// a URL is useless to anybody else and cannot be made for a file the page does not show.
#[derive(Clone, Default)]
pub struct MediaKey(Vec<u8>);

type HmacSha256 = hmac::Hmac<Sha256>;

impl MediaKey {
    /// A key of no bytes (tests and benchmarks that serve no media).
    pub const fn unkeyed() -> Self {
        Self(Vec::new())
    }

    /// A key derived from the server's secret (the session key), so every instance agrees.
    pub fn derive(secret: &[u8]) -> Self {
        Self(Self::mac(secret, &[b"runnel media urls"]))
    }

    /// The token of `name` for the session whose CSRF token is `csrf`.
    pub fn token(&self, csrf: &str, name: &str) -> String {
        use base64::Engine as _;
        let tag = Self::mac(&self.0, &[csrf.as_bytes(), &[0], name.as_bytes()]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..24])
    }

    /// Whether `token` is this session's token for `name` (compared in constant time).
    pub fn verify(&self, csrf: &str, name: &str, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.token(csrf, name).as_bytes().ct_eq(token.as_bytes()))
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        // HMAC takes a key of any length.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }
}

impl std::fmt::Debug for MediaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MediaKey(..)")
    }
}

/// The path of a data-folder file's URL under the site: `/media/{token}/{name}`, each part of
/// the name percent-encoded.
pub fn media_path(key: &MediaKey, csrf: &str, name: &str) -> String {
    let encoded: Vec<String> = name
        .split('/')
        .map(|part| percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC).to_string())
        .collect();
    format!("/media/{}/{}", key.token(csrf, name), encoded.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_for_its_session_and_file_only() {
        let key = MediaKey::derive(b"server secret");
        let token = key.token("csrf-a", "clip.mp4");
        assert!(key.verify("csrf-a", "clip.mp4", &token));
        assert!(!key.verify("csrf-b", "clip.mp4", &token));
        assert!(!key.verify("csrf-a", "other.mp4", &token));
        assert!(!MediaKey::derive(b"another secret").verify("csrf-a", "clip.mp4", &token));
    }

    #[test]
    fn a_media_path_encodes_the_name() {
        let key = MediaKey::derive(b"k");
        let path = media_path(&key, "c", "sub dir/a&b.png");
        assert!(path.ends_with("/sub%20dir/a%26b%2Epng"), "{path}");
    }
}
