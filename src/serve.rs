//! The preview page as `deckforge serve` shows it on 127.0.0.1: the same page as
//! [`preview`](crate::preview), with math drawn as MathML (so it renders offline, natively, in
//! any current browser), a small script that reloads the page when the deck is rebuilt, and
//! the images the page shows served from the deck's source folder only.
//!
//! The Anki cards themselves keep MathJax's `\(…\)` and `\[…\]`: Anki ships MathJax, and the
//! MathML here is for the preview page alone.

use std::path::{Component, Path, PathBuf};

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{Parser, RenderConfig, Storage, push_mathml};

use crate::build::{BuildOptions, plan};
use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::model::{Media, Package};
use crate::preview::{PreviewSummary, page};
use crate::source;

/// A served deck's page and the media it shows, as of one rebuild.
#[derive(Debug, Clone)]
pub struct ServedDeck {
    pub html: String,
    pub summary: PreviewSummary,
    pub diagnostics: Vec<Diagnostic>,
    /// The images the page refers to, under the names the fields use.
    pub media: Vec<Media>,
    /// The folder of the deck's first source, the only place other files are served from.
    pub folder: PathBuf,
}

/// Reads the sources as a build would (the lock is read, never written) and renders the page,
/// its math as MathML; `version_path` is what the page polls to learn of a rebuild.
pub fn render(options: &BuildOptions, version_path: &str) -> Result<ServedDeck> {
    let documents = options
        .inputs
        .iter()
        .map(|path| source::load_with(path, options.layout))
        .collect::<Result<Vec<_>>>()?;
    let previous = options.read_lock_for_preview()?;
    // The page shows each card from its Markdown, which a plan keeps for outputs other than
    // packages; the stem (and so the lock) stays the deck's.
    let mut as_page = options.clone();
    as_page.output = options.output.with_extension("html");
    let mut plan = plan(&documents, &as_page, previous.as_ref());
    mathml_fields(&mut plan.package);
    let (html, summary) = page(&plan.package);
    let folder = options
        .inputs
        .first()
        .and_then(|input| input.parent())
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok(ServedDeck {
        html: with_reload(&html, version_path),
        summary,
        diagnostics: plan.diagnostics,
        media: plan.package.meta.media,
        folder,
    })
}

fn mathml_fields(package: &mut Package) {
    for note in &mut package.notes {
        for field in &mut note.fields {
            if field.contains("\\(") || field.contains("\\[") {
                *field = math_to_mathml(field);
            }
        }
    }
}

/// The poll that reloads the page: every half second it asks for the deck's version, and
/// reloads when it changed (a dropped connection is retried: the server may be restarting).
const RELOAD_JS: &str = r#"<script id="df-reload">
(function () {
  var seen = null;
  function poll() {
    fetch(VERSION_PATH, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); return; }
      seen = v;
      setTimeout(poll, 500);
    }, function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
"#;

/// `html` with the reload poll before `</body>`, and its Content-Security-Policy allowing the
/// poll (and only it) to reach the server the page came from.
pub(crate) fn with_reload(html: &str, version_path: &str) -> String {
    let script = RELOAD_JS.replace(
        "VERSION_PATH",
        &serde_json::Value::from(version_path).to_string(),
    );
    let html = html.replacen(
        "default-src 'none';",
        "default-src 'none'; connect-src 'self';",
        1,
    );
    match html.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => html + &script,
    }
}

/// Field HTML with every `\(…\)` and `\[…\]` outside `<code>` and `<pre>` replaced by MathML;
/// math the converter cannot read stays as it was.
pub(crate) fn math_to_mathml(html: &str) -> String {
    let mut out = String::with_capacity(html.len() * 2);
    let mut code_depth = 0usize;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let tag = &rest[..end];
            let name: String = tag
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if name == "code" || name == "pre" {
                if tag.starts_with("</") {
                    code_depth = code_depth.saturating_sub(1);
                } else {
                    code_depth += 1;
                }
            }
            out.push_str(tag);
            rest = &rest[end..];
            continue;
        }
        let opener = [
            ("\\(", "\\)", DisplayMode::Inline),
            ("\\[", "\\]", DisplayMode::Block),
        ]
        .into_iter()
        .find(|(open, _, _)| code_depth == 0 && rest.starts_with(open));
        if let Some((open, close, mode)) = opener {
            if let Some(length) = rest[2..].find(close) {
                let latex = unescape(&rest[2..2 + length]);
                if let Some(mathml) = to_mathml(&latex, mode) {
                    out.push_str(&mathml);
                    rest = &rest[2 + length + close.len()..];
                    continue;
                }
            }
            out.push_str(open);
            rest = &rest[open.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn to_mathml(latex: &str, display_mode: DisplayMode) -> Option<String> {
    let storage = Storage::new();
    let parser = Parser::new(latex, &storage);
    // A parse error would be drawn in red inside the MathML; the source is clearer.
    let events: Vec<_> = parser.collect::<std::result::Result<Vec<_>, _>>().ok()?;
    let mut mathml = String::new();
    let config = RenderConfig {
        display_mode,
        ..RenderConfig::default()
    };
    push_mathml(
        &mut mathml,
        events.into_iter().map(Ok::<_, std::io::Error>),
        config,
    )
    .ok()?;
    Some(clean_mathml(&mathml))
}

/// The MathML elements and attributes the converter writes.
const MATHML_TAGS: [&str; 30] = [
    "math",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "mrow",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mspace",
    "mpadded",
    "mphantom",
    "mstyle",
    "menclose",
    "merror",
    "semantics",
    "annotation",
    "mmultiscripts",
    "mprescripts",
    "none",
];
const MATHML_ATTRIBUTES: [&str; 24] = [
    "display",
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "minsize",
    "maxsize",
    "movablelimits",
    "largeop",
    "symmetric",
    "accent",
    "accentunder",
    "linethickness",
    "width",
    "height",
    "depth",
    "columnalign",
    "rowalign",
    "displaystyle",
    "scriptlevel",
    "notation",
    "form",
];

/// The converter writes some characters of its input unescaped (`\operatorname{<s>}` gives
/// `<mi><s></mi>`), so its MathML passes the sanitiser with only MathML allowed.
fn clean_mathml(mathml: &str) -> String {
    ammonia::Builder::empty()
        .add_tags(MATHML_TAGS)
        .add_generic_attributes(MATHML_ATTRIBUTES)
        .clean(mathml)
        .to_string()
}

/// The text of HTML that holds no tags: the entities the renderer writes, decoded.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The file under `folder` that `request` (a URL path below the deck's page, still
/// percent-encoded) names, if it is a regular file there: `..`, absolute paths, backslashes
/// and anything that resolves (through a link) outside `folder` are refused, as are hidden
/// files and folders and anything but images, sounds and videos (never the Markdown itself).
pub fn file_in_folder(folder: &Path, request: &str) -> Option<PathBuf> {
    let decoded = percent_decode(request)?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let relative = Path::new(decoded.trim_start_matches('/'));
    let mut clean = PathBuf::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) if !part.to_string_lossy().starts_with('.') => clean.push(part),
            _ => return None,
        }
    }
    let extension = clean
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())?;
    if !crate::render::media::is_media_extension(&extension) {
        return None;
    }
    let root = folder.canonicalize().ok()?;
    let file = root.join(clean).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type to serve a file or media name with.
pub fn content_type(name: &str) -> &'static str {
    let extension = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "avif" => "image/avif",
        "bmp" => "image/bmp",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_becomes_mathml_outside_code_only() {
        let html =
            math_to_mathml(r"<p>Area \(\pi r^2\), <code>\(x\)</code></p><p>\[a &lt; b\]</p>");
        assert!(html.starts_with("<p>Area <math"), "{html}");
        assert!(html.contains("<mi>π</mi>") || html.contains("π"), "{html}");
        assert!(html.contains(r"<code>\(x\)</code>"), "{html}");
        assert!(html.contains(r#"display="block""#), "{html}");
        assert!(
            html.contains("<mo>&lt;</mo>") && !html.contains(r"\["),
            "{html}"
        );
        // Characters the converter copies through unescaped cannot make elements.
        let hostile = math_to_mathml(r"\(\operatorname{<img src=x onerror=alert(1)>}\)");
        assert!(
            hostile.starts_with("<math") && !hostile.contains("<img"),
            "{hostile}"
        );
        assert_eq!(math_to_mathml(r"a \( unclosed"), r"a \( unclosed");
        assert_eq!(math_to_mathml("$5-$10"), "$5-$10");
    }

    #[test]
    fn only_files_inside_the_folder_are_served() {
        let dir = std::env::temp_dir().join(format!("deckforge-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("deck/img")).unwrap();
        std::fs::write(dir.join("deck/img/cat.png"), "cat").unwrap();
        std::fs::write(dir.join("deck/notes.md"), "notes").unwrap();
        std::fs::write(dir.join("secret.txt"), "secret").unwrap();
        std::fs::write(dir.join("deck/.env"), "secret").unwrap();
        let folder = dir.join("deck");
        assert!(file_in_folder(&folder, "img/cat.png").is_some());
        assert!(file_in_folder(&folder, "img%2Fcat.png").is_some());
        for escape in [
            "../secret.txt",
            "img/../../secret.txt",
            "%2e%2e/secret.txt",
            "%2E%2E%2Fsecret.txt",
            "..%5csecret.txt",
            "/etc/passwd",
            "//etc/passwd",
            ".env",
            "notes.md",
            "img",
            "%zz",
        ] {
            assert_eq!(file_in_folder(&folder, escape), None, "{escape}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_reload_poll_goes_before_the_end_of_the_body() {
        let html = with_reload(
            "<meta content=\"default-src 'none'; img-src 'self'\"><body>x</body>",
            "/deck/0/version",
        );
        assert!(html.contains("connect-src 'self';"));
        assert!(html.contains("fetch(\"/deck/0/version\""));
        assert!(html.ends_with("</script>\n</body>"));
    }
}
