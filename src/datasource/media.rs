//! Media files of the data folder: which kinds are served (by extension, checked against the
//! file's first bytes), under what cap, and reading a byte range of one.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaClass {
    Image,
    Audio,
    Video,
}

/// The kinds of file served, by extension. No SVG or HTML: opened on their own they could run
/// script on this origin.
const TYPES: &[(&str, MediaClass, &str)] = &[
    ("png", MediaClass::Image, "image/png"),
    ("jpg", MediaClass::Image, "image/jpeg"),
    ("jpeg", MediaClass::Image, "image/jpeg"),
    ("gif", MediaClass::Image, "image/gif"),
    ("webp", MediaClass::Image, "image/webp"),
    ("mp3", MediaClass::Audio, "audio/mpeg"),
    ("wav", MediaClass::Audio, "audio/wav"),
    ("ogg", MediaClass::Audio, "audio/ogg"),
    ("oga", MediaClass::Audio, "audio/ogg"),
    ("m4a", MediaClass::Audio, "audio/mp4"),
    ("flac", MediaClass::Audio, "audio/flac"),
    ("mp4", MediaClass::Video, "video/mp4"),
    ("m4v", MediaClass::Video, "video/mp4"),
    ("webm", MediaClass::Video, "video/webm"),
    ("ogv", MediaClass::Video, "video/ogg"),
];

/// The class and MIME type of a file name, from its extension.
pub fn media_type(name: &str) -> Option<(MediaClass, &'static str)> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    TYPES.iter().find(|(e, _, _)| *e == extension).map(|&(_, class, mime)| (class, mime))
}

/// The names of the served extensions of a class, for error messages.
pub fn extensions(class: MediaClass) -> String {
    TYPES.iter().filter(|t| t.1 == class).map(|t| t.0).collect::<Vec<_>>().join(", ")
}

/// A media file of the data folder, checked.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub path: PathBuf,
    pub len: u64,
    pub class: MediaClass,
    pub mime: &'static str,
}

/// Opens `name` in `dir` as media: inside the folder, of a served kind whose first bytes match
/// its extension (audio and video containers are checked as audio or video), at most `cap` bytes.
pub fn open_media(dir: &Path, name: &str, cap: u64) -> Result<MediaFile, String> {
    let (class, mime) = media_type(name).ok_or_else(|| {
        format!(
            "{name:?} is not a served media file: images are {}; audio {}; video {}",
            extensions(MediaClass::Image),
            extensions(MediaClass::Audio),
            extensions(MediaClass::Video)
        )
    })?;
    let path = super::resolve(dir, name)?;
    let len = std::fs::metadata(&path).map_err(|e| format!("cannot read {name:?}: {e}"))?.len();
    if len > cap {
        return Err(format!("{name:?} has {len} bytes; media files may have at most {cap} bytes"));
    }
    let head = read_range(&path, 0, len.min(8192)).map_err(|e| format!("cannot read {name:?}: {e}"))?;
    if !content_matches(class, mime, &head) {
        return Err(format!("{name:?} does not hold what its extension says ({mime})"));
    }
    Ok(MediaFile { path, len, class, mime })
}

/// Whether a file's first bytes are of the kind its extension names (containers such as Ogg,
/// MP4 and WebM hold audio or video, so only the container is checked).
fn content_matches(class: MediaClass, mime: &str, head: &[u8]) -> bool {
    let Some(found) = infer::get(head) else { return false };
    match class {
        MediaClass::Image => found.mime_type() == mime,
        MediaClass::Audio | MediaClass::Video => {
            matches!(found.matcher_type(), infer::MatcherType::Audio | infer::MatcherType::Video)
        }
    }
}

/// Bytes `start..end` of a file (blocking).
pub fn read_range(path: &Path, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(usize::try_from(end - start).unwrap_or(0));
    file.take(end - start).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_audio_and_video_are_media() {
        assert_eq!(media_type("a/Clip.MP4"), Some((MediaClass::Video, "video/mp4")));
        assert_eq!(media_type("logo.png"), Some((MediaClass::Image, "image/png")));
        for name in ["page.html", "drawing.svg", "notes", "data.csv"] {
            assert_eq!(media_type(name), None, "{name}");
        }
    }

    #[test]
    fn a_file_whose_bytes_are_not_its_extension_is_refused() {
        let dir = std::env::temp_dir().join(format!("runnel-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("fake.png"), b"<html><script>alert(1)</script></html>").unwrap();
        let err = open_media(&dir, "fake.png", 1 << 20).unwrap_err();
        assert!(err.contains("does not hold what its extension says"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
