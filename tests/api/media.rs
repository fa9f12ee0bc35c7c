//! Media over HTTP: data-folder files under per-session URLs (whole, in ranges, 416 on ranges
//! that cannot be answered, 404 for unknown tokens and other sessions' URLs), size caps that
//! reach the script's author, script-made pixels as a PNG inside the page, allowed image hosts,
//! and captions and tooltips that stay text.

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, RANGE};

use crate::TestApp;
use crate::client::Session;
use crate::support::ScriptDir;

const PAGE: &str = r#"
video("clip.mp4");
image("photo.png", #{ caption: "<script>alert('caption')</script>" });
image([[0.0, 1.0], [1.0, 0.0]], #{ caption: "made here" });
map([#{ lat: 48.8566, lon: 2.3522, name: "<img src=x onerror=alert('map')>" }]);
"#;

/// 64 × 64 pseudo-random gray pixels: their PNG (about 4 KB) is over the 2,000-byte inline cap.
const NOISE: &str = "let s = 1; let rows = []; for y in 0..64 { let row = []; for x in 0..64 { \
    s = (s * 1103515245 + 12345) % 2147483648; row.push((s / 65536) % 256); } rows.push(row); } image(rows);";

/// Length of the fake video: an MP4 header, then numbered filler bytes.
const CLIP_LEN: usize = 10_000;

/// A scripts folder with `page.rhai` (and `extra`), and a data folder with a small MP4, a PNG
/// over the inline cap, and an MP4 over the file cap.
struct MediaApp {
    app: TestApp,
    _scripts: ScriptDir,
    data: ScriptDir,
}

fn clip() -> Vec<u8> {
    let mut bytes = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    bytes.extend((bytes.len()..CLIP_LEN).map(|i| (i % 251) as u8));
    bytes
}

/// A PNG of `side` × `side` noisy gray pixels (noise does not compress, so it stays large).
fn png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    let mut writer = encoder.write_header().unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let pixels: Vec<u8> = (0..side * side)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

fn spawn(extra: &[(&str, &str)]) -> MediaApp {
    let mut pages = vec![("page.rhai", PAGE)];
    pages.extend_from_slice(extra);
    let scripts = ScriptDir::with(&pages);
    let data = ScriptDir::with(&[]);
    std::fs::write(data.file("clip.mp4"), clip()).unwrap();
    std::fs::write(data.file("photo.png"), png(64)).unwrap();
    let mut huge = clip();
    huge.resize(60_000, 7);
    std::fs::write(data.file("huge.mp4"), huge).unwrap();
    let mut settings = scripts.settings(false);
    settings.data_dir = data.path.clone();
    settings.media.max_inline_bytes = 2_000;
    settings.media.max_file_bytes = 50_000;
    settings.media.image_hosts = vec!["images.example.com".into()];
    MediaApp { app: TestApp::spawn(settings), _scripts: scripts, data }
}

/// The value of the first `attribute="…"` after `marker` in the page.
fn attribute_after(html: &str, marker: &str, attribute: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("{marker} in the page:\n{html}"));
    let rest = &html[at..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    rest[start..].split('"').next().unwrap().replace("&amp;", "&")
}

async fn fetch(session: &Session, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = session.client.get(format!("{}{url}", session.base));
    if let Some(range) = range {
        request = request.header(RANGE, range);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_video_is_served_whole_and_in_byte_ranges() {
    let media = spawn(&[]);
    let mut viewer = Session::new(&media.app);
    let page = viewer.open("/page").await;
    let src = attribute_after(&page.body, "<video", "src");
    assert!(src.starts_with("/media/") && src.ends_with("/clip%2Emp4"), "{src}");

    let whole = fetch(&viewer, &src, None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()[CONTENT_TYPE], "video/mp4");
    assert_eq!(whole.headers()[ACCEPT_RANGES], "bytes");
    assert_eq!(whole.bytes().await.unwrap().to_vec(), clip());

    let first = fetch(&viewer, &src, Some("bytes=0-99")).await;
    assert_eq!(first.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(first.headers()[CONTENT_RANGE], format!("bytes 0-99/{CLIP_LEN}"));
    assert_eq!(first.bytes().await.unwrap().to_vec(), clip()[..100]);

    let tail = fetch(&viewer, &src, Some("bytes=-10")).await;
    assert_eq!(tail.headers()[CONTENT_RANGE], format!("bytes 9990-9999/{CLIP_LEN}"));
    assert_eq!(tail.bytes().await.unwrap().to_vec(), clip()[CLIP_LEN - 10..]);
}

#[tokio::test]
async fn a_range_past_the_end_or_malformed_is_answered_with_416_and_the_length() {
    let media = spawn(&[]);
    let mut viewer = Session::new(&media.app);
    let page = viewer.open("/page").await;
    let src = attribute_after(&page.body, "<video", "src");
    for range in ["bytes=10000-", "bytes=50-10", "bytes=0-1,4-5", "pages=1-2"] {
        let refused = fetch(&viewer, &src, Some(range)).await;
        assert_eq!(refused.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(refused.headers()[CONTENT_RANGE], format!("bytes */{CLIP_LEN}"), "{range}");
    }
}

#[tokio::test]
async fn a_media_url_works_only_for_its_own_session_and_file() {
    let media = spawn(&[]);
    let mut owner = Session::new(&media.app);
    let page = owner.open("/page").await;
    let src = attribute_after(&page.body, "<video", "src");
    assert_eq!(fetch(&owner, &src, None).await.status(), StatusCode::OK);

    let mut other = Session::new(&media.app);
    other.open("/page").await;
    assert_eq!(fetch(&other, &src, None).await.status(), StatusCode::NOT_FOUND, "another session's URL");
    let stranger = Session::new(&media.app);
    assert_eq!(fetch(&stranger, &src, None).await.status(), StatusCode::NOT_FOUND, "a browser without a page");

    let token = src.split('/').nth(2).unwrap();
    let forged = src.replace(token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(fetch(&owner, &forged, None).await.status(), StatusCode::NOT_FOUND, "an unknown token");
    let other_file = src.replace("clip%2Emp4", "huge%2Emp4");
    assert_eq!(fetch(&owner, &other_file, None).await.status(), StatusCode::NOT_FOUND, "a file the page does not show");
    let outside = format!("/media/{token}/..%2Fpage.rhai");
    assert_eq!(fetch(&owner, &outside, None).await.status(), StatusCode::NOT_FOUND, "a path out of the folder");
}

#[tokio::test]
async fn an_image_over_the_inline_cap_is_served_by_url_and_a_small_one_is_inline() {
    let media = spawn(&[]);
    let mut viewer = Session::new(&media.app);
    let page = viewer.open("/page").await;
    let photo = attribute_after(&page.body, "class=\"rn-image rn-w-content\"", "src");
    assert!(photo.starts_with("/media/"), "{photo}");
    let served = fetch(&viewer, &photo, None).await;
    assert_eq!(served.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), std::fs::read(media.data.file("photo.png")).unwrap());
    assert!(page.body.contains("src=\"data:image/png;base64,"), "the script-made image is inside the page");
}

#[tokio::test]
async fn a_script_made_image_decodes_to_the_pixels_the_script_wrote() {
    let media = spawn(&[]);
    let mut viewer = Session::new(&media.app);
    let page = viewer.open("/page").await;
    let at = page.body.find("made here").unwrap();
    let figure_start = page.body[..at].rfind("<figure").unwrap();
    let src = attribute_after(&page.body[figure_start..], "<img", "src");
    let encoded = src.strip_prefix("data:image/png;base64,").expect("a PNG data URL");
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height, frame.color_type), (2, 2, png::ColorType::Grayscale));
    assert_eq!(pixels[..frame.buffer_size()], [0, 255, 255, 0]);
}

#[tokio::test]
async fn files_and_images_over_their_caps_and_hosts_not_allowed_are_errors_the_author_sees() {
    let cases = [
        ("big.rhai", "video(\"huge.mp4\");", "at most 50000 bytes"),
        ("noise.rhai", NOISE, "at most 2000"),
        ("host.rhai", "image(\"https://evil.example/x.png\");", "not allowed"),
        ("page_file.rhai", "image(\"../page.rhai\");", "not a served media file"),
        ("audio.rhai", "audio(\"clip.mp4\");", "audio plays"),
    ];
    let media = spawn(&cases.iter().map(|(name, source, _)| (*name, *source)).collect::<Vec<_>>());
    let mut viewer = Session::new(&media.app);
    for (name, _, expected) in cases {
        let page = viewer.open(&format!("/{}", name.trim_end_matches(".rhai"))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(expected), "{name} should say {expected:?}:\n{}", page.body);
    }
}

#[tokio::test]
async fn an_image_from_an_allowed_host_is_fetched_by_the_browser() {
    let media = spawn(&[("remote.rhai", "image(\"https://images.example.com/cat.png?size=2\");")]);
    let mut viewer = Session::new(&media.app);
    let page = viewer.open("/remote").await;
    assert_eq!(attribute_after(&page.body, "rn-image", "src"), "https://images.example.com/cat.png?size=2");
}

#[tokio::test]
async fn captions_and_map_tooltips_stay_text() {
    let media = spawn(&[]);
    let mut viewer = Session::new(&media.app);
    let page = viewer.open("/page").await;
    assert!(!page.body.contains("<script>alert"), "caption markup must be escaped");
    assert!(!page.body.contains("<img src=x"), "tooltip markup must be escaped");
    let html = scraper::Html::parse_document(&page.body);
    let text = |css: &str| {
        let selector = scraper::Selector::parse(css).unwrap();
        html.select(&selector).next().map(|e| e.text().collect::<String>()).unwrap_or_default()
    };
    assert_eq!(text(".rn-image figcaption"), "<script>alert('caption')</script>", "the caption shows as text");
    assert!(text("svg.rn-map circle title").contains("name: <img src=x onerror=alert('map')>"), "the tooltip is text");
}

#[tokio::test]
async fn the_policy_lets_pages_play_media_from_this_host() {
    let media = spawn(&[]);
    let page = Session::new(&media.app).get("/page").await;
    let policy = page.headers["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("media-src 'self'"), "{policy}");
    assert!(policy.contains("script-src 'self';") && !policy.contains("unsafe-eval"), "{policy}");
}

#[tokio::test]
async fn the_fractal_and_media_examples_run_inside_the_limits() {
    let running = crate::client::start(crate::StoreKind::Memory);
    let mut viewer = Session::new(&running.app);
    let fractal = viewer.open("/fractal").await;
    assert!(!fractal.body.contains("rn-script-error"), "{}", fractal.body);
    let src = attribute_after(&fractal.body, "class=\"rn-image rn-w-fixed\"", "src");
    let png = base64::engine::general_purpose::STANDARD.decode(src.strip_prefix("data:image/png;base64,").unwrap());
    let info = png::Decoder::new(std::io::Cursor::new(png.unwrap())).read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height, info.color_type), (120, 80, png::ColorType::Rgb));
    let examples = viewer.open("/media").await;
    assert!(!examples.body.contains("rn-script-error"), "{}", examples.body);
    for part in ["rn-logo", "svg class=\"rn-map\"", "data-rn-vega", "<audio"] {
        assert!(examples.body.contains(part), "the media example shows {part}");
    }
    let audio = attribute_after(&examples.body, "<audio", "src");
    assert_eq!(fetch(&viewer, &audio, Some("bytes=0-3")).await.bytes().await.unwrap().as_ref(), b"RIFF");
}
