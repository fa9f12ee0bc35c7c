//! Media: `image(source, #{ caption, width, use_container_width })`, `logo(source)`, `audio(name)` and `video(name)`.
//! An image is a file of the data folder (inline when small, else under a per-session URL), an
//! `https://` URL of a host in `[media] image_hosts`, or pixels made by the script (encoded to
//! PNG here). Audio and video are data-folder files, served with range requests.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};

use super::display::draw;
use super::options::{Options, error};
use super::{context, pixels, placed, width};
use crate::config::MediaSettings;
use crate::datasource::{DataSources, MediaClass, extensions, open_media, read_range};
use crate::page::{ContainerId, Element, Image, ImageSource, Media, MediaKind, SIDEBAR, Width};

type Res = Result<(), Box<EvalAltResult>>;

pub fn register(engine: &mut Engine) {
    placed!(engine, "image", |t, p, s: Dynamic| image(t, p, s, Map::new()), (source: Dynamic));
    placed!(engine, "image", image, (source: Dynamic, opts: Map));
    placed!(engine, "audio", |t, p, n: ImmutableString| media(MediaKind::Audio, t, p, n, Map::new()), (name: ImmutableString));
    placed!(engine, "audio", |t, p, n: ImmutableString, o: Map| media(MediaKind::Audio, t, p, n, o), (name: ImmutableString, opts: Map));
    placed!(engine, "video", |t, p, n: ImmutableString| media(MediaKind::Video, t, p, n, Map::new()), (name: ImmutableString));
    placed!(engine, "video", |t, p, n: ImmutableString, o: Map| media(MediaKind::Video, t, p, n, o), (name: ImmutableString, opts: Map));
    rhai::FuncRegistration::new("logo")
        .with_params_info(["source: Dynamic", "?"])
        .register_into_engine(engine, |ctx: rhai::NativeCallContext, source: Dynamic| {
            logo(ctx.call_position(), source)
        });
}

fn image(target: ContainerId, pos: Position, source: Dynamic, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["caption", "width", "use_container_width"])?;
    // Streamlit's default: the image's own size, never wider than its container.
    let width = width::read(&opts, Width::Content, 1)?;
    let source = image_source(source, pos)?;
    draw(target, Element::Image(Arc::new(Image { source, caption: opts.string("caption")?, width })))
}

/// `logo(source)`: an image at the top of the sidebar; a second call replaces the first.
fn logo(pos: Position, source: Dynamic) -> Res {
    let source = image_source(source, pos)?;
    let logo = Element::Logo(Arc::new(Image { source, caption: None, width: Width::Content }));
    context::with(|c| {
        let sidebar = &mut c.page.containers[SIDEBAR].children;
        sidebar.retain(|e| !matches!(e, Element::Logo(_)));
        sidebar.insert(0, logo);
    })
}

fn media(kind: MediaKind, target: ContainerId, pos: Position, name: ImmutableString, opts: Map) -> Res {
    let opts = Options::new(opts, pos, &["autoplay", "loop"])?;
    let sources = sources(pos)?;
    let file = open_media(&sources.dir, &name, sources.media.max_file_bytes).map_err(|m| error(m, pos))?;
    let class = if kind == MediaKind::Audio { MediaClass::Audio } else { MediaClass::Video };
    if file.class != class {
        let what = if kind == MediaKind::Audio { "audio" } else { "video" };
        return Err(error(format!("{what} plays {} files, not {name:?}", extensions(class)), pos));
    }
    let element = Media {
        kind,
        name: name.to_string(),
        mime: file.mime.to_owned(),
        autoplay: opts.bool("autoplay", false)?,
        looped: opts.bool("loop", false)?,
    };
    draw(target, Element::Media(Arc::new(element)))
}

fn sources(pos: Position) -> Result<std::sync::Arc<DataSources>, Box<EvalAltResult>> {
    context::with(|c| c.sources.clone())?.ok_or_else(|| error("this run has no data folder".into(), pos))
}

/// Where an image comes from: pixels (an array), a URL, or a data-folder file.
fn image_source(source: Dynamic, pos: Position) -> Result<ImageSource, Box<EvalAltResult>> {
    let settings = sources(pos)?.media.clone();
    if source.is_array() {
        let png = pixels::to_png(&source.cast::<Array>(), pos)?;
        return inline("image/png", &png, &settings, pos);
    }
    let Ok(text) = source.clone().into_string() else {
        let kind = source.type_name();
        return Err(error(format!("an image is a file name, an https URL or an array of pixels, not {kind}"), pos));
    };
    if text.contains("://") {
        return remote(&text, &settings, pos);
    }
    let sources = sources(pos)?;
    let file = open_media(&sources.dir, &text, settings.max_file_bytes).map_err(|m| error(m, pos))?;
    if file.class != MediaClass::Image {
        return Err(error(format!("image shows {} files, not {text:?}", extensions(MediaClass::Image)), pos));
    }
    if file.len <= settings.max_inline_bytes as u64 {
        let bytes =
            read_range(&file.path, 0, file.len).map_err(|e| error(format!("cannot read {text:?}: {e}"), pos))?;
        return inline(file.mime, &bytes, &settings, pos);
    }
    Ok(ImageSource::DataFile(text))
}

fn inline(
    mime: &str,
    bytes: &[u8],
    settings: &MediaSettings,
    pos: Position,
) -> Result<ImageSource, Box<EvalAltResult>> {
    use base64::Engine as _;
    let cap = settings.max_inline_bytes;
    if bytes.len() > cap {
        let message = format!("the image has {} bytes; images made by a script may have at most {cap}", bytes.len());
        return Err(error(message, pos));
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(ImageSource::Inline(format!("data:{mime};base64,{encoded}")))
}

/// An `https://` URL of an allowed host, as it is (the browser fetches it).
fn remote(url: &str, settings: &MediaSettings, pos: Position) -> Result<ImageSource, Box<EvalAltResult>> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(error(format!("an image URL must start with https://, not {url:?}"), pos));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let clean = !authority.contains('@') && !url.contains(|c: char| c.is_whitespace() || "\"'<>\\".contains(c));
    if !clean || !settings.image_hosts.contains(&host) {
        let allowed = if settings.image_hosts.is_empty() {
            "no host is allowed: list hosts in `image_hosts` of the `[media]` table of runnel.toml".to_owned()
        } else {
            format!("allowed hosts: {}", settings.image_hosts.join(", "))
        };
        return Err(error(format!("images from {host:?} are not allowed ({allowed})"), pos));
    }
    Ok(ImageSource::Remote(url.to_owned()))
}
