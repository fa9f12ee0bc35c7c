//! Media elements as HTML: images (inline, data-folder files under per-session URLs, allowed
//! remote hosts), audio and video players, maps (SVG, see [`super::map`]) and Vega-Lite charts
//! (a placeholder that `static/vega-charts.js` replaces with the chart).

use askama::Template;

use super::{ElementHtml, RenderContext};
use crate::page::{Image, ImageSource, MapView, Media, MediaKind, VegaLite, Width, media_path};

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<figure class="rn-image {{ image.width.css() }}{% if logo %} rn-logo{% endif %}"><img src="{{ src }}" alt="{{ alt }}"{% if let Some(width) = image.width.pixels() %} width="{{ width }}"{% endif %} referrerpolicy="no-referrer">
{%- if let Some(caption) = image.caption %}<figcaption class="rn-caption">{{ caption }}</figcaption>{% endif %}</figure>"#
)]
struct ImageHtml<'a> {
    image: &'a Image,
    src: String,
    alt: &'a str,
    logo: bool,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<div class="rn-media">
{%- if video %}<video class="rn-video" src="{{ src }}" controls preload="metadata"{% if media.autoplay %} autoplay muted{% endif %}{% if media.looped %} loop{% endif %}>Your browser cannot play this video.</video>
{%- else %}<audio class="rn-audio" src="{{ src }}" controls preload="metadata"{% if media.autoplay %} autoplay{% endif %}{% if media.looped %} loop{% endif %}>Your browser cannot play this audio.</audio>{% endif %}</div>"#
)]
struct MediaHtml<'a> {
    media: &'a Media,
    src: String,
    video: bool,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<figure class="rn-vega {{ chart.width.css() }}" data-rn-vega data-spec="{{ chart.spec }}">{{ sizer|safe }}<div class="rn-vega-view"></div><p class="rn-vega-placeholder">Chart “{{ chart.title }}”: it is drawn by JavaScript, which is off or still loading.</p></figure>"#
)]
struct VegaHtml<'a> {
    chart: &'a VegaLite,
    sizer: String,
}

impl ElementHtml<'_> {
    pub(super) fn image(&self, image: &Image, logo: bool) -> String {
        let alt = image.caption.as_deref().unwrap_or(if logo { "Logo" } else { "Image" });
        ImageHtml { image, src: source_url(&image.source, self.ctx), alt, logo }.render().unwrap_or_default()
    }

    pub(super) fn media(&self, media: &Media) -> String {
        let src = format!("{}{}", self.ctx.base, media_path(self.ctx.media_key, self.ctx.csrf, &media.name));
        MediaHtml { media, src, video: media.kind == MediaKind::Video }.render().unwrap_or_default()
    }

    pub(super) fn map(&self, map: &MapView) -> String {
        format!("<figure class=\"rn-map-wrap {}\">{}</figure>", map.width.css(), super::map::svg(map))
    }

    pub(super) fn vega_lite(&self, chart: &VegaLite) -> String {
        VegaHtml { chart, sizer: sizer(chart.width) }.render().unwrap_or_default()
    }
}

fn source_url(source: &ImageSource, ctx: &RenderContext) -> String {
    match source {
        ImageSource::Inline(url) | ImageSource::Remote(url) => url.clone(),
        ImageSource::DataFile(name) => format!("{}{}", ctx.base, media_path(ctx.media_key, ctx.csrf, name)),
    }
}

/// The first child of an element of fixed width that is not an image or an SVG itself: an empty
/// SVG whose `width` attribute gives the element its width (see `.rn-w-fixed` in the
/// stylesheet), since the Content-Security-Policy allows no `style` attributes.
pub(super) fn sizer(width: Width) -> String {
    match width.pixels() {
        Some(px) => format!(r#"<svg class="rn-sizer" width="{px}" height="0" aria-hidden="true"></svg>"#),
        None => String::new(),
    }
}
