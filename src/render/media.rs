//! Local images referenced by answers, packed into the `.apkg` under content-hash names.
//!
//! Only files inside the source document's folder are read (no absolute paths, no `..` or
//! symlink escapes), up to [`MAX_IMAGE_BYTES`] each; anything else stays a plain reference and
//! becomes a warning, never a failure. A shared deck publishes what it packs, so a file is
//! packed only if both its extension and its first bytes say image, audio or video: never a
//! dot-file or anything under a dot-folder (`.git/config`, `.ssh/id_ed25519`, `.env`), never
//! the Markdown itself, never a file with other hard links (which may live outside the folder).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::remote::{DownloadLimits, Downloader};
use crate::model::{Media, MediaSource};

pub use super::remote::MAX_IMAGE_BYTES;

/// Whether a card's Markdown may show an image once rendered: an image (`![`) or an `<img`
/// tag in it. Conservative (an `![` in code counts); a card that passes is rendered to plan.
pub(crate) fn may_show_image(card: &crate::source::CardDraft) -> bool {
    [&card.question, &card.answer]
        .iter()
        .any(|markdown| markdown.contains("![") || shows_image(markdown) || plays_sound(markdown))
}

/// Whether Markdown or HTML may play a sound (`[sound:…]`, inert or not, or `<audio>`/`<video>`),
/// which packing turns into a packed `[sound:…]`.
pub(crate) fn plays_sound(text: &str) -> bool {
    text.contains("sound:")
        || text.match_indices('<').any(|(at, _)| {
            text.as_bytes().get(at..at + 6).is_some_and(|tag| {
                tag.eq_ignore_ascii_case(b"<audio") || tag.eq_ignore_ascii_case(b"<video")
            })
        })
}

/// Whether `html` may show an image (a cheap test before taking the media lock).
pub(crate) fn shows_image(html: &str) -> bool {
    html.match_indices('<').any(|(at, _)| {
        html.as_bytes()
            .get(at..at + 4)
            .is_some_and(|tag| tag.eq_ignore_ascii_case(b"<img"))
    })
}

/// Collects the media a deck needs, each file once.
#[derive(Default)]
pub(crate) struct MediaCollector {
    media: Vec<Media>,
    /// Resolved file → media name, so a file used twice is read once.
    by_path: HashMap<PathBuf, String>,
    /// Remote images are downloaded only when the author asks.
    downloads: Option<Downloader>,
}

impl std::fmt::Debug for MediaCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaCollector")
            .field("media", &self.media)
            .field("downloads", &self.downloads.is_some())
            .finish()
    }
}

impl MediaCollector {
    /// A collector that also downloads remote images into the package, within `limits`.
    /// Their HTML must keep them as images ([`crate::render::HtmlRenderer::with_remote_images`]);
    /// [`Self::pack`] makes a link of any it cannot download.
    pub(crate) fn downloading(limits: DownloadLimits) -> Self {
        MediaCollector {
            downloads: Some(Downloader::new(limits, packed_image_name)),
            ..MediaCollector::default()
        }
    }

    /// Packs the local images that rendered `html` shows (relative to `folder`, the source
    /// document's folder), pointing their `src` at the packed names. Returns the HTML and a
    /// message per image that could not be packed.
    ///
    /// Sound and video become Anki's `[sound:…]` tag, which plays them on every client: an
    /// `![](x.mp3)` image, and the `[sound:x.mp3]` the author wrote (which rendering left inert,
    /// see [`crate::render::html`]) once its file is packed. A sound that is not packed stays
    /// inert text, so a card never plays a name the deck does not hold.
    pub(crate) fn pack(&mut self, html: String, folder: &Path) -> (String, Vec<String>) {
        let mut problems = Vec::new();
        let html = rewrite_img_sources(&html, |src| {
            let resolved = if is_remote_url(src) {
                self.download(src)
            } else {
                self.resolve(folder, src)
            };
            resolved.unwrap_or_else(|problem| {
                problems.push(problem);
                None
            })
        });
        let html = if self.downloads.is_some() {
            remote_images_to_links(&html)
        } else {
            html
        };
        let html = sounds_from_images(&html);
        let html = if html.contains(INERT_SOUND) {
            self.activate_sounds(&html, folder, &mut problems)
        } else {
            html
        };
        (html, problems)
    }

    /// `html` with every inert `[sound:path]` whose file packs as sound or video made active.
    fn activate_sounds(&mut self, html: &str, folder: &Path, problems: &mut Vec<String>) -> String {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(start) = rest.find(INERT_SOUND) {
            let after = &rest[start + INERT_SOUND.len()..];
            // A tag before the `]` (or no `]`) leaves this one and every other opening before
            // that point inert: the scan resumes there, so it stays linear.
            let Some(end) = after
                .find([']', '<'])
                .filter(|&end| after[end..].starts_with(']'))
            else {
                let inert = after.find('<').unwrap_or(after.len());
                out.push_str(&rest[..start + INERT_SOUND.len() + inert]);
                rest = &after[inert..];
                continue;
            };
            out.push_str(&rest[..start]);
            let src = unescape(&after[..end]);
            match self.resolve(folder, &src) {
                Ok(Some(name)) if is_sound_name(&name) => {
                    out.push_str(&format!("[sound:{name}]"));
                }
                Ok(Some(_)) => {
                    problems.push(format!(
                        "sound {src:?} is not a sound or video file; left as text"
                    ));
                    out.push_str(&rest[start..start + INERT_SOUND.len() + end + 1]);
                }
                Ok(None) => out.push_str(&rest[start..start + INERT_SOUND.len() + end + 1]),
                Err(problem) => {
                    problems.push(problem.replacen("image ", "sound ", 1));
                    out.push_str(&rest[start..start + INERT_SOUND.len() + end + 1]);
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The packed name of the remote image at `url` if downloads are on, or why it cannot be
    /// packed; `Ok(None)` when they are off.
    fn download(&mut self, url: &str) -> Result<Option<String>, String> {
        let Some(downloads) = &mut self.downloads else {
            return Ok(None);
        };
        let (name, data) = downloads
            .fetch(url)
            .map_err(|problem| format!("image {url:?} {problem}; kept as a link"))?;
        if let Some(data) = data {
            if !self.media.iter().any(|m| m.name == name) {
                self.media.push(Media {
                    name: name.clone(),
                    source: MediaSource::Bytes(data),
                });
            }
        }
        Ok(Some(name))
    }

    /// The media name for `src` as written in a document in `folder`, or why it cannot be packed.
    /// `Ok(None)` means a remote or data URL, which stays as it is.
    pub(crate) fn resolve(&mut self, folder: &Path, src: &str) -> Result<Option<String>, String> {
        let src = src.trim();
        let Some((base, file)) = local_file(folder, src)? else {
            return Ok(None);
        };
        if let Some(name) = self.by_path.get(&file) {
            return Ok(Some(name.clone()));
        }
        let hidden = file
            .strip_prefix(&base)
            .into_iter()
            .flat_map(Path::components)
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if hidden {
            return Err(format!(
                "{} {src:?} is a hidden file or inside a hidden folder; not packed",
                noun(src)
            ));
        }
        let extension = file
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(kind) = MediaKind::of_extension(&extension) else {
            return Err(format!(
                "{} {src:?} is not an image, audio or video file by its extension; not packed",
                noun(src)
            ));
        };
        let read =
            read_image(&file).map_err(|problem| format!("{} {src:?} {problem}", noun(src)))?;
        if !kind.matches(&read.head) {
            return Err(format!(
                "{} {src:?} does not hold {} data, whatever its name says; not packed",
                noun(src),
                kind.describe()
            ));
        }
        let name = format!("{}.{extension}", read.hash);
        if !self.media.iter().any(|m| m.name == name) {
            self.media.push(Media {
                name: name.clone(),
                source: MediaSource::File {
                    path: file.clone(),
                    size: read.size,
                    crc: read.crc,
                },
            });
        }
        self.by_path.insert(file, name.clone());
        Ok(Some(name))
    }

    /// The media, sorted by name: cards are rendered on several threads, so the order images
    /// are first seen in varies, and the package must not.
    /// The files read so far, so a build never writes its output over one.
    pub(crate) fn files(&self) -> impl Iterator<Item = &Path> {
        self.by_path.keys().map(PathBuf::as_path)
    }

    pub(crate) fn into_media(mut self) -> Vec<Media> {
        self.media.sort_by(|a, b| a.name.cmp(&b.name));
        self.media
    }
}

/// Whether an image URL is remote: it would load from another host.
pub(crate) fn is_remote_url(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    url.starts_with("http:") || url.starts_with("https:") || url.starts_with("ftp:")
}

/// `html` (sanitised, so every attribute is quoted) with every remote `<img>` written as a link
/// to it showing its alt text or URL: how rendering writes remote images, and what becomes of
/// one a build could not download.
pub(crate) fn remote_images_to_links(html: &str) -> String {
    replace_img_tags(html, |tag| {
        let src = img_src(tag).filter(|src| is_remote_url(src))?;
        let text = attribute(tag, "alt")
            .filter(|alt| !alt.trim().is_empty())
            .unwrap_or_else(|| src.clone());
        Some(format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            crate::html::escape(&src),
            crate::html::escape(&text)
        ))
    })
}

/// The extension an image is packed under, from its first bytes; `None` for anything that is
/// not an image (a page, a script, a sound).
/// The packed name of an image's bytes: their SHA-256 and the extension their content shows,
/// or `None` when they are no image.
fn packed_image_name(data: &[u8]) -> Option<String> {
    use sha2::{Digest, Sha256};
    let extension = image_extension(data)?;
    Some(format!("{}.{extension}", hex(&Sha256::digest(data))))
}

pub(crate) fn image_extension(data: &[u8]) -> Option<&'static str> {
    [
        (MediaKind::Png, "png"),
        (MediaKind::Jpeg, "jpg"),
        (MediaKind::Gif, "gif"),
        (MediaKind::Webp, "webp"),
        (MediaKind::Avif, "avif"),
        (MediaKind::Svg, "svg"),
        (MediaKind::Bmp, "bmp"),
    ]
    .into_iter()
    .find(|(kind, _)| kind.matches(data))
    .map(|(_, extension)| extension)
}

/// How rendering writes an author's `[sound:…]`: broken by an empty span, so Anki does not play it.
pub(crate) const INERT_SOUND: &str = "[<span></span>sound:";

/// Whether `name` is a packed media name (content hash and extension) of a sound or video.
fn is_sound_name(name: &str) -> bool {
    let Some((hash, extension)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && MediaKind::of_extension(extension).is_some_and(MediaKind::is_sound)
}

/// `html` with every `<img>` whose source is a packed sound or video replaced by Anki's
/// `[sound:…]` tag: `![](x.mp3)` is how Markdown writes a media file.
fn sounds_from_images(html: &str) -> String {
    replace_img_tags(html, |tag| {
        let name = img_src(tag).filter(|src| is_sound_name(src))?;
        Some(format!("[sound:{name}]"))
    })
}

/// For the preview page, which is no Anki: every `<img>` of a sound or video file (by its
/// extension; the preview packs nothing) becomes a player, so the page plays what Anki will.
pub(crate) fn preview_players(html: &str) -> String {
    if !html.contains("<img") {
        return html.to_string();
    }
    replace_img_tags(html, |tag| {
        let src = img_src(tag)?;
        let extension = src.rsplit_once('.')?.1.to_ascii_lowercase();
        let kind = MediaKind::of_extension(&extension).filter(|k| k.is_sound())?;
        let element = if matches!(kind, MediaKind::Mp4 | MediaKind::Matroska) {
            "video"
        } else {
            "audio"
        };
        let src = crate::html::escape(&src);
        Some(format!("<{element} controls src=\"{src}\"></{element}>"))
    })
}

/// What a media link is called in a message: a sound or a video by its extension, else an image.
fn noun(src: &str) -> &'static str {
    let path = src.split(['?', '#']).next().unwrap_or(src);
    let extension = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match MediaKind::of_extension(&extension) {
        Some(_)
            if matches!(
                extension.as_str(),
                "mp4" | "m4v" | "mov" | "ogv" | "webm" | "mkv"
            ) =>
        {
            "video"
        }
        Some(kind) if kind.is_sound() => "sound",
        _ => "image",
    }
}

/// What a media file's extension promises, checked against its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Bmp,
    Avif,
    Svg,
    Mp3,
    Ogg,
    Wav,
    Flac,
    Mp4,
    Matroska,
}

/// Whether a file with this (lowercase) extension may be packed: the watcher rebuilds a deck
/// when such a file beside its sources changes.
pub(crate) fn is_media_extension(extension: &str) -> bool {
    MediaKind::of_extension(extension).is_some()
}

impl MediaKind {
    fn of_extension(extension: &str) -> Option<MediaKind> {
        Some(match extension {
            "png" => MediaKind::Png,
            "jpg" | "jpeg" => MediaKind::Jpeg,
            "gif" => MediaKind::Gif,
            "webp" => MediaKind::Webp,
            "bmp" => MediaKind::Bmp,
            "avif" => MediaKind::Avif,
            "svg" => MediaKind::Svg,
            "mp3" => MediaKind::Mp3,
            "ogg" | "oga" | "ogv" | "opus" => MediaKind::Ogg,
            "wav" => MediaKind::Wav,
            "flac" => MediaKind::Flac,
            "mp4" | "m4a" | "m4v" | "mov" => MediaKind::Mp4,
            "webm" | "mkv" => MediaKind::Matroska,
            _ => return None,
        })
    }

    /// Sound and video, which Anki plays from a `[sound:…]` tag rather than shows.
    fn is_sound(self) -> bool {
        matches!(
            self,
            MediaKind::Mp3
                | MediaKind::Ogg
                | MediaKind::Wav
                | MediaKind::Flac
                | MediaKind::Mp4
                | MediaKind::Matroska
        )
    }

    fn describe(self) -> &'static str {
        match self {
            MediaKind::Png => "PNG",
            MediaKind::Jpeg => "JPEG",
            MediaKind::Gif => "GIF",
            MediaKind::Webp => "WebP",
            MediaKind::Bmp => "BMP",
            MediaKind::Avif => "AVIF",
            MediaKind::Svg => "SVG",
            MediaKind::Mp3 => "MP3",
            MediaKind::Ogg => "Ogg",
            MediaKind::Wav => "WAV",
            MediaKind::Flac => "FLAC",
            MediaKind::Mp4 => "MP4",
            MediaKind::Matroska => "WebM or Matroska",
        }
    }

    /// Whether `data` starts as this format's files do (the formats' published signatures).
    fn matches(self, data: &[u8]) -> bool {
        let riff = |form: &[u8]| data.starts_with(b"RIFF") && data.get(8..12) == Some(form);
        match self {
            MediaKind::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
            MediaKind::Jpeg => data.starts_with(&[0xff, 0xd8, 0xff]),
            MediaKind::Gif => data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a"),
            MediaKind::Webp => riff(b"WEBP"),
            MediaKind::Bmp => data.starts_with(b"BM"),
            MediaKind::Avif => {
                data.get(4..8) == Some(b"ftyp")
                    && matches!(data.get(8..12), Some(b"avif") | Some(b"avis"))
            }
            MediaKind::Svg => is_svg(data),
            MediaKind::Mp3 => {
                data.starts_with(b"ID3")
                    || (data.len() > 1 && data[0] == 0xff && data[1] & 0xe0 == 0xe0)
            }
            MediaKind::Ogg => data.starts_with(b"OggS"),
            MediaKind::Wav => riff(b"WAVE"),
            MediaKind::Flac => data.starts_with(b"fLaC"),
            MediaKind::Mp4 => data.get(4..8) == Some(b"ftyp"),
            MediaKind::Matroska => data.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]),
        }
    }
}

/// Whether `data` is an SVG document: UTF-8 text whose first element is `<svg`, after an
/// optional byte order mark, XML declaration, doctype and comments.
fn is_svg(data: &[u8]) -> bool {
    let head = &data[..data.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if rest.starts_with("<svg") {
            return true;
        }
        let skip = ["<?", "<!--", "<!"].iter().find_map(|open| {
            let close = if *open == "<!--" { "-->" } else { ">" };
            rest.strip_prefix(open)
                .and_then(|r| r.find(close).map(|end| &r[end + close.len()..]))
        });
        match skip {
            Some(after) => rest = after.trim_start(),
            None => return false,
        }
    }
}

/// The file a local image source names, with the source folder it must stay inside (both
/// with links resolved); `None` for a remote or empty source, which is left as it is.
fn local_file(folder: &Path, src: &str) -> Result<Option<(PathBuf, PathBuf)>, String> {
    let lower = src.to_ascii_lowercase();
    let has_scheme = src.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.len() > 1
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if has_scheme || lower.starts_with("//") || src.is_empty() {
        return Ok(None);
    }
    let path_part = src.split(['?', '#']).next().unwrap_or(src);
    // `img\a.png`, as Windows users write it, names the same file on every system.
    let decoded = percent_decode(path_part).replace('\\', "/");
    let relative = Path::new(&decoded);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        || decoded.starts_with('/')
        || decoded.starts_with('\\')
    {
        return Err(format!(
            "{} {src:?} has an absolute path; only files next to the source are packed",
            noun(src)
        ));
    }
    let base = folder.canonicalize().map_err(|e| {
        format!(
            "cannot resolve the source folder for {} {src:?}: {e}",
            noun(src)
        )
    })?;
    let file = base
        .join(relative)
        .canonicalize()
        .map_err(|_| format!("{} {src:?} not found next to the source", noun(src)))?;
    if !file.starts_with(&base) {
        return Err(format!(
            "{} {src:?} is outside the source's folder and was not packed",
            noun(src)
        ));
    }
    Ok(Some((base, file)))
}

/// What reading a media file once tells: its first bytes (enough for every format's
/// signature), its SHA-256 (its packed name), its CRC-32 and size (to check that the file the
/// package later streams is still the one named).
struct ReadImage {
    head: Vec<u8>,
    hash: String,
    crc: u32,
    size: u64,
}

/// How many of a file's first bytes the content checks look at ([`is_svg`] reads the most).
const HEAD_BYTES: usize = 4096;

/// Reads a regular file of at most [`MAX_IMAGE_BYTES`] through a small buffer, keeping only its
/// first bytes and its hashes: a deck's media is never held in memory. A folder, a named pipe
/// (which would block the build forever) or a device is refused, and the cap holds even if the
/// file grows between the size check and the read.
fn read_image(file: &Path) -> Result<ReadImage, String> {
    use std::io::Read;
    let metadata = std::fs::metadata(file).map_err(|e| format!("cannot be read: {e}"))?;
    if !metadata.is_file() {
        return Err("is not a regular file and was not packed".to_string());
    }
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(&metadata) > 1 {
        return Err(
            "has other hard links (one may be outside the source's folder); not packed".to_string(),
        );
    }
    let too_big = |size: u64| {
        format!("is {size} bytes, more than the {MAX_IMAGE_BYTES}-byte limit; not packed")
    };
    if metadata.len() > MAX_IMAGE_BYTES {
        return Err(too_big(metadata.len()));
    }
    let opened = std::fs::File::open(file).map_err(|e| format!("cannot be read: {e}"))?;
    let mut reader = opened.take(MAX_IMAGE_BYTES + 1);
    let mut sha = Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut size = 0u64;
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("cannot be read: {e}")),
        };
        let chunk = &buffer[..n];
        sha.update(chunk);
        crc.update(chunk);
        let wanted = HEAD_BYTES.saturating_sub(head.len()).min(n);
        head.extend_from_slice(&chunk[..wanted]);
        size += n as u64;
    }
    if size > MAX_IMAGE_BYTES {
        return Err(too_big(size));
    }
    Ok(ReadImage {
        head,
        hash: hex(&sha.finalize()),
        crc: crc.finalize(),
        size,
    })
}

/// A packed media file's bytes, for the preview server, which sends one file at a time: read
/// from disk (at most [`MAX_IMAGE_BYTES`]) when it is a local file.
pub fn read_media(media: &Media) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    match &media.source {
        MediaSource::Bytes(data) => Ok(data.clone()),
        MediaSource::File { path, .. } => {
            let mut data = Vec::new();
            crate::input::open_regular(path)?
                .take(MAX_IMAGE_BYTES)
                .read_to_end(&mut data)?;
            Ok(data)
        }
    }
}

/// Lower-case hex digits of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Rewrites the `src` of every `<img>` tag in `html` with `rewrite` (which gets the decoded
/// value and returns the new one, or `None` to keep it). `html` is expected to be the
/// sanitiser's output, whose attributes are always double-quoted.
pub(crate) fn rewrite_img_sources(
    html: &str,
    mut rewrite: impl FnMut(&str) -> Option<String>,
) -> String {
    replace_img_tags(html, |tag| Some(rewrite_src(tag, &mut rewrite)))
}

/// `html` with every `<img>` tag for which `replace` returns something replaced by it.
fn replace_img_tags(html: &str, mut replace: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len());
    // Lower-cased once: searching a fresh lower-case copy of the rest for every image made an
    // answer with thousands of images quadratic. ASCII lower-casing keeps byte offsets.
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while let Some(start) = find_img(&lower, at) {
        out.push_str(&html[at..start]);
        let Some(end) = tag_end(&html[start..]) else {
            out.push_str(&html[start..]);
            return out;
        };
        let tag = &html[start..start + end];
        match replace(tag) {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(tag),
        }
        at = start + end;
    }
    out.push_str(&html[at..]);
    out
}

/// The decoded `src` of an `<img>` tag, if it has one.
fn img_src(tag: &str) -> Option<String> {
    attribute(tag, "src")
}

/// The decoded value of attribute `name` of a tag, if it has one.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut found = None;
    rewrite_attribute(tag, name, &mut |value: &str| {
        found = Some(value.to_string());
        None
    });
    found
}

/// The offset of the next `<img` tag in `lower` at or after `from`.
fn find_img(lower: &str, mut from: usize) -> Option<usize> {
    while let Some(i) = lower[from..].find("<img") {
        let at = from + i;
        if lower[at + 4..].starts_with(|c: char| c.is_whitespace() || c == '/' || c == '>') {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// The length of the tag at the start of `html`, quotes respected.
fn tag_end(html: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in html.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn rewrite_src(tag: &str, rewrite: &mut impl FnMut(&str) -> Option<String>) -> String {
    rewrite_attribute(tag, "src", rewrite)
}

/// `tag` with the value of its attribute `name` (lower case) rewritten by `rewrite`.
fn rewrite_attribute(
    tag: &str,
    name: &str,
    rewrite: &mut impl FnMut(&str) -> Option<String>,
) -> String {
    let lower = tag.to_ascii_lowercase();
    let needle = format!("{name}=");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&needle) {
        let at = from + i;
        let boundary = lower[..at].ends_with(|c: char| c.is_whitespace());
        let value_start = at + needle.len();
        let quote = tag[value_start..].chars().next();
        if boundary && matches!(quote, Some('"') | Some('\'')) {
            let quote = quote.unwrap_or('"');
            let inner_start = value_start + 1;
            if let Some(len) = tag[inner_start..].find(quote) {
                let value = unescape(&tag[inner_start..inner_start + len]);
                return match rewrite(&value) {
                    Some(new) => format!(
                        "{}{}{}",
                        &tag[..inner_start],
                        crate::html::escape(&new),
                        &tag[inner_start + len..]
                    ),
                    None => tag.to_string(),
                };
            }
        }
        from = at + needle.len();
    }
    tag.to_string()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("deckforge-media-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("img")).expect("temp dir");
        std::fs::write(dir.join("img/a b.PNG"), b"\x89PNG\r\n\x1a\n png bytes").expect("image");
        dir
    }

    #[test]
    fn local_images_are_named_by_hash_and_escapes_refused() {
        let dir = folder();
        let mut media = MediaCollector::default();
        let name = media
            .resolve(&dir, "img/a%20b.PNG")
            .expect("ok")
            .expect("local");
        assert_eq!(name.len(), 64 + 4);
        assert!(name.ends_with(".png"));
        assert_eq!(media.resolve(&dir, "./img/a b.PNG"), Ok(Some(name.clone())));
        assert_eq!(media.resolve(&dir, "img\\a b.PNG"), Ok(Some(name)));
        assert_eq!(media.into_media().len(), 1);

        let mut media = MediaCollector::default();
        assert_eq!(media.resolve(&dir, "https://x.example/a.png"), Ok(None));
        assert_eq!(media.resolve(&dir, "data:image/png;base64,AAAA"), Ok(None));
        assert!(
            media
                .resolve(&dir, "/etc/passwd")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(media.resolve(&dir, "../x.png").is_err());
        assert!(
            media
                .resolve(&dir, "img/missing.png")
                .unwrap_err()
                .contains("not found")
        );
    }

    #[test]
    fn media_is_packed_only_when_extension_and_content_agree() {
        let png = b"\x89PNG\r\n\x1a\n....";
        assert!(MediaKind::Png.matches(png));
        assert!(!MediaKind::Jpeg.matches(png));
        assert!(MediaKind::Jpeg.matches(&[0xff, 0xd8, 0xff, 0xe0]));
        assert!(MediaKind::Webp.matches(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!MediaKind::Webp.matches(b"RIFF\0\0\0\0WAVEfmt "));
        assert!(MediaKind::Mp4.matches(b"\0\0\0\x18ftypisom"));
        assert!(is_svg(
            b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x -->\n<!DOCTYPE svg><svg/>"
        ));
        assert!(!is_svg(
            b"[remote \"origin\"]\n\turl = https://token@x.example/r.git"
        ));
        assert!(!MediaKind::Png.matches(b"-----BEGIN OPENSSH PRIVATE KEY-----"));
        assert_eq!(MediaKind::of_extension("md"), None);
        assert_eq!(MediaKind::of_extension("env"), None);
    }

    #[test]
    fn packed_sounds_leave_img_tags_and_others_stay() {
        let hash = "a".repeat(64);
        let html = format!(
            "<p><img src=\"{hash}.mp3\" alt=\"\"> <img src=\"{hash}.png\"> <img src=\"x.mp3\"></p>"
        );
        assert_eq!(
            sounds_from_images(&html),
            format!("<p>[sound:{hash}.mp3] <img src=\"{hash}.png\"> <img src=\"x.mp3\"></p>")
        );
        assert!(is_sound_name(&format!("{hash}.webm")));
        assert!(!is_sound_name(&format!("{hash}.png")));
        assert!(!is_sound_name("x].mp3"));
    }

    #[test]
    fn the_preview_plays_sound_and_video() {
        assert_eq!(
            preview_players(
                "<p><img src=\"a.mp3\" alt=\"\"> <img src=\"b.webm\"> <img src=\"c.png\"></p>"
            ),
            "<p><audio controls src=\"a.mp3\"></audio> <video controls src=\"b.webm\"></video> <img src=\"c.png\"></p>"
        );
    }

    #[test]
    fn img_sources_are_rewritten() {
        let html = r#"<p>x <img src="a.png" alt="a > b"> <IMG alt='q' src='b&amp;c.png'/> <imgx src="n"></p>"#;
        let out = rewrite_img_sources(html, |src| Some(format!("[{src}]")));
        assert_eq!(
            out,
            r#"<p>x <img src="[a.png]" alt="a > b"> <IMG alt='q' src='[b&amp;c.png]'/> <imgx src="n"></p>"#
        );
    }
}

#[cfg(test)]
mod noun_tests {
    use super::noun;

    #[test]
    fn messages_name_sounds_and_videos_as_such() {
        assert_eq!(noun("img/a.PNG"), "image");
        assert_eq!(noun("hello.mp3"), "sound");
        assert_eq!(noun("talk.m4a?x=1"), "sound");
        assert_eq!(noun("clip.webm#t=2"), "video");
        assert_eq!(noun("notes.txt"), "image");
        assert_eq!(noun("no-extension"), "image");
    }
}
