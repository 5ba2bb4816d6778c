//! Markdown to HTML for Anki fields, sanitised with an allow-list because Anki shows fields in a
//! web view that runs scripts.
//!
//! Sanitising parses every field again as HTML, which made it most of a large build's time. Most
//! fields need none of it: when the Markdown holds no raw HTML, pulldown-cmark's output holds only
//! the tags it writes itself, with every text escaped. Such fields take a fast path that writes
//! exactly what the sanitiser would have written (unit tests compare the two), on an allow-list of
//! events; links must have a plain `http`, `https` or `mailto` URL or a relative one without any
//! `:`, because pulldown-cmark does not filter URL schemes (`javascript:`). Anything else (raw
//! HTML, images, tables, task lists, unusual URLs or characters the sanitiser re-encodes) goes
//! through the sanitiser as before.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Parser, Tag, TagEnd, html};

use super::limits::LimitNesting;
use crate::html::escape;
use crate::source::markdown::parser_options;

/// Renders question and answer Markdown to HTML.
pub struct HtmlRenderer {
    sanitizer: Option<ammonia::Builder<'static>>,
    highlight: bool,
    /// Whether remote images stay images (for a build that downloads them, which turns any it
    /// cannot pack into links); otherwise a remote image is written as a link to it.
    keep_remote_images: bool,
}

impl HtmlRenderer {
    /// `allow_raw_html` skips sanitising (the `--allow-html` escape hatch for trusted sources).
    pub fn new(allow_raw_html: bool) -> Self {
        // Remote image sources pass the sanitiser: rendering then makes links of them, or
        // leaves them to a build that downloads them.
        let sanitizer = (!allow_raw_html).then(|| sanitizer_with(true));
        HtmlRenderer {
            sanitizer,
            highlight: true,
            keep_remote_images: false,
        }
    }

    /// Keeps remote images (`![](https://…)`, `<img src="https://…">`) as images, for a build
    /// that downloads them into the package (the media collector makes a link of any it
    /// cannot). By default a remote image, which would load (and tell its host) whenever the
    /// card is shown, is written as a link to it.
    pub fn with_remote_images(mut self, keep: bool) -> Self {
        self.keep_remote_images = keep;
        self
    }

    /// Whether fenced code in a language the highlighter knows gets coloured spans (on by
    /// default; `--no-highlight` turns it off).
    pub(crate) fn with_highlighting(mut self, highlight: bool) -> Self {
        self.highlight = highlight;
        self
    }

    /// Whether rendering `markdown` colours some of its code: a fenced block in a known language.
    pub(crate) fn highlights(&self, markdown: &str) -> bool {
        self.highlight && super::highlight::has_known_fence(markdown)
    }

    /// Renders block Markdown (an answer).
    pub fn block(&self, markdown: &str) -> String {
        if is_plain_line(markdown) {
            return format!("<p>{markdown}</p>");
        }
        self.parsed(markdown)
    }

    /// [`Self::block`] through the parser, whatever the Markdown.
    fn parsed(&self, markdown: &str) -> String {
        let markdown = &*super::keep_lone_markers(markdown);
        let html = match &self.sanitizer {
            Some(builder) => fast_path(markdown)
                .unwrap_or_else(|| sanitised(builder, markdown, !self.keep_remote_images)),
            None => unsanitised(markdown),
        };
        if self.highlight && markdown.contains(['`', '~']) {
            super::highlight::highlighted(html)
        } else {
            html
        }
    }

    /// Renders inline Markdown (a question): a lone paragraph loses its `<p>` wrapper.
    pub fn inline(&self, markdown: &str) -> String {
        if is_plain_line(markdown) {
            return markdown.to_string();
        }
        let rendered = self.parsed(markdown);
        match rendered
            .strip_prefix("<p>")
            .and_then(|rest| rest.strip_suffix("</p>"))
        {
            Some(inner) if !inner.contains("<p>") => {
                let length = inner.len();
                let mut inner = rendered;
                inner.truncate(length + "<p>".len());
                inner.replace_range(.."<p>".len(), "");
                inner
            }
            _ => rendered,
        }
    }

    /// A link to `url` showing the URL, for the Source field.
    pub fn link(&self, url: &str) -> String {
        let url = escape(url);
        self.clean(&format!("<a href=\"{url}\">{url}</a>"))
    }

    fn clean(&self, html: &str) -> String {
        match &self.sanitizer {
            Some(builder) => builder.clean(html).to_string(),
            None => html.to_string(),
        }
    }
}

const LINK_REL: &str = "noopener noreferrer";

/// Whether `markdown` is one line of plain ASCII text that every rendering writes as it is in a
/// paragraph: a letter first (a digit could start a list), no trailing space, and no character
/// that Markdown, HTML or Anki reads as markup (`*_[]<>&"$#~|\` and backticks, line breaks).
/// Most questions are, and need no parse.
fn is_plain_line(markdown: &str) -> bool {
    let bytes = markdown.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.last().is_some_and(|b| !b.is_ascii_whitespace())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b" ,.?!;:'()/%+=-@".contains(&b))
}

/// The event stream every rendering uses: hostile nesting flattened, money kept as text, math
/// for MathJax with its active commands made inert, and (unless raw HTML is allowed) Anki's
/// own tags in the author's text broken so Anki does not act on them.
fn events(markdown: &str, trusted: bool) -> impl Iterator<Item = Event<'_>> {
    let nested = LimitNesting::new(Parser::new_ext(markdown, parser_options()));
    let mut events = MoneyIsText {
        inner: nested,
        next: None,
    }
    .map(math_to_mathjax)
    .map(audio_to_sound)
    .peekable();
    std::iter::from_fn(move || {
        let event = events.next()?;
        Some(match event {
            // pulldown-cmark splits text at brackets: join the pieces to see whole tags.
            Event::Text(text) if !trusted => {
                if !matches!(events.peek(), Some(Event::Text(_))) {
                    return Some(inert_anki_tags(text));
                }
                let mut joined = text.into_string();
                while let Some(Event::Text(more)) = events.peek() {
                    joined.push_str(more);
                    events.next();
                }
                inert_anki_tags(CowStr::from(joined))
            }
            other => other,
        })
    })
}

/// `$5-$10`: pulldown-cmark reads `$5-$` as math. As in Pandoc, a closing `$` followed by a
/// digit closes no math: such a pair is put back as the text it was.
struct MoneyIsText<'a, I: Iterator<Item = Event<'a>>> {
    inner: I,
    next: Option<Event<'a>>,
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for MoneyIsText<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        let event = self.next.take().or_else(|| self.inner.next())?;
        let Event::InlineMath(math) = event else {
            return Some(event);
        };
        self.next = self.inner.next();
        let money = matches!(&self.next, Some(Event::Text(after))
            if after.starts_with(|c: char| c.is_ascii_digit()));
        Some(if money {
            Event::Text(CowStr::from(format!("${math}$")))
        } else {
            Event::InlineMath(math)
        })
    }
}

/// Anki acts on `[sound:…]`, `[anki:tts…]`, `[latex]…[/latex]`, `[$]…[/$]` and `[$$]…[/$$]` in a
/// field's HTML: it plays files, speaks, or runs LaTeX (with `\write18`, a shell). In the
/// author's text an empty `<span>` after the `[` keeps the text as written and inert.
fn inert_anki_tags(text: CowStr<'_>) -> Event<'_> {
    const OPENINGS: [&str; 9] = [
        "sound:", "anki:", "/anki:", "latex]", "/latex]", "$]", "/$]", "$$]", "/$$]",
    ];
    let active = |rest: &str| {
        OPENINGS.iter().any(|o| {
            rest.get(..o.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(o))
        })
    };
    if !text.match_indices('[').any(|(i, _)| active(&text[i + 1..])) {
        return Event::Text(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, piece) in text.split('[').enumerate() {
        if i > 0 {
            out.push('[');
            if active(piece) {
                out.push_str("<span></span>");
            }
        }
        out.push_str(&escape(piece));
    }
    Event::InlineHtml(CowStr::from(out))
}

/// `<audio src>`, `<video src>` and `<source src>` become an inert `[sound:src]` (closing tags
/// go): Anki plays media from that tag, on every client, and packing makes it active once the
/// file is packed ([`super::media::MediaCollector::pack`]). The sanitiser would drop the tags.
fn audio_to_sound(event: Event<'_>) -> Event<'_> {
    let (Event::Html(html) | Event::InlineHtml(html)) = &event else {
        return event;
    };
    let lower = html.to_ascii_lowercase();
    // pulldown-cmark hands inline tags over one by one: `<source>` comes alone.
    if !["<audio", "<video", "<source"]
        .iter()
        .any(|t| lower.contains(t))
    {
        return event;
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(i) = lower[at..].find('<') {
        let start = at + i;
        let Some(len) = html[start..].find('>') else {
            break;
        };
        let tag = &lower[start + 1..start + len];
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        out.push_str(&html[at..start]);
        match name.as_str() {
            "audio" | "video" | "source" => {
                if let Some(src) = attribute(&html[start + 1..start + len], "src") {
                    out.push_str(&format!("[<span></span>sound:{}]", escape(&src)));
                }
            }
            "/audio" | "/video" | "/source" => {}
            _ => out.push_str(&html[start..start + len + 1]),
        }
        at = start + len + 1;
    }
    out.push_str(&html[at..]);
    Event::InlineHtml(CowStr::from(out))
}

/// The value of attribute `name` in a tag's inside (`audio src="x.mp3" controls`), quoted or not.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = lower[..at].chars().next_back();
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let rest = tag[from..].trim_start();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quoted = value.chars().next().filter(|c| *c == '"' || *c == '\'');
        let raw = match quoted {
            Some(q) => value[1..].split(q).next().unwrap_or_default(),
            None => value
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default(),
        };
        return Some(raw.replace("&amp;", "&"));
    }
    None
}

fn unsanitised(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, events(markdown, true));
    out.truncate(out.trim_end().len());
    out
}

/// Sanitised HTML of `markdown`; the sanitiser keeps remote image sources, and unless they are
/// to be downloaded (`!remote_links`) each such image is written as a link to it.
fn sanitised(builder: &ammonia::Builder<'static>, markdown: &str, remote_links: bool) -> String {
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, events(markdown, false));
    let clean = builder.clean(out.trim_end()).to_string();
    if remote_links && clean.contains("<img") {
        super::media::remote_images_to_links(&clean)
    } else {
        clean
    }
}

/// The sanitiser's output without running it, or `None` when the Markdown needs it: see the
/// module documentation.
fn fast_path(markdown: &str) -> Option<String> {
    let refused = Cell::new(false);
    let events = events(markdown, false).map(|event| {
        if refused.get() {
            return event;
        }
        match fast_event(event) {
            Ok(event) => event,
            Err(event) => {
                refused.set(true);
                event
            }
        }
    });
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, events);
    // The sanitiser re-encodes these characters (`&nbsp;`) or normalises them (CR to LF).
    if refused.get() || needs_reencoding(&out) {
        return None;
    }
    out.truncate(out.trim_end().len());
    // pulldown-cmark closes void tags XHTML-style; the sanitiser's serialiser does not. With no
    // raw HTML in the source, these sequences can only be pulldown-cmark's own tags.
    if out.contains(" />") {
        out = out.replace("<br />", "<br>").replace("<hr />", "<hr>");
    }
    Some(out)
}

/// Whether `html` holds a no-break space, carriage return or NUL, which the sanitiser writes
/// differently. Byte by byte: searching for any of three chars decoded every character.
fn needs_reencoding(html: &str) -> bool {
    let bytes = html.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' || b == 0 || (b == 0xc2 && bytes.get(i + 1) == Some(&0xa0)))
}

/// An event the fast path renders like the sanitiser (`Ok`, links rewritten with their `rel`),
/// or `Err` with the event when the sanitiser is needed.
fn fast_event(event: Event<'_>) -> Result<Event<'_>, Event<'_>> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let href = if link_type == LinkType::Email {
                format!("mailto:{dest_url}")
            } else {
                dest_url.to_string()
            };
            if title.is_empty() && safe_href(&href) {
                Ok(Event::InlineHtml(CowStr::from(format!(
                    "<a href=\"{href}\" rel=\"{LINK_REL}\">"
                ))))
            } else {
                Err(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            }
        }
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(ref info))) => {
            let language = info.split(' ').next().unwrap_or_default();
            let plain = language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_+.#".contains(&b));
            if plain { Ok(event) } else { Err(event) }
        }
        Event::Start(Tag::Heading {
            ref id,
            ref classes,
            ref attrs,
            ..
        }) => {
            if id.is_none() && classes.is_empty() && attrs.is_empty() {
                Ok(event)
            } else {
                Err(event)
            }
        }
        Event::Start(Tag::BlockQuote(None))
        | Event::Start(
            Tag::Paragraph
            | Tag::CodeBlock(CodeBlockKind::Indented)
            | Tag::List(_)
            | Tag::Item
            | Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough,
        )
        | Event::End(
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::List(_)
            | TagEnd::Item
            | TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link,
        )
        | Event::Text(_)
        | Event::Code(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::Rule => Ok(event),
        // Raw HTML, images, tables, task lists, metadata blocks and everything else.
        other => Err(other),
    }
}

/// A URL the sanitiser keeps as it is: an allowed scheme or no scheme at all, in characters
/// that pulldown-cmark and the sanitiser's serialiser both leave alone.
fn safe_href(href: &str) -> bool {
    let plain = !href.is_empty()
        && href
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%()*+,-./:;=?@^_~".contains(&b));
    let scheme = |prefix: &str| href.starts_with(prefix);
    plain
        && !href.starts_with("//")
        && (scheme("http://") || scheme("https://") || scheme("mailto:") || !href.contains(':'))
}

/// The allow-list sanitiser fields go through; [`crate::check`] asks it what it would strip.
pub(crate) fn sanitizer() -> ammonia::Builder<'static> {
    sanitizer_with(false)
}

/// The sanitiser, keeping `http` and `https` image sources if `remote_images` (a build that
/// downloads them).
fn sanitizer_with(remote_images: bool) -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    // Code blocks carry their language as a class (`language-rust`) for highlighters.
    builder.add_tag_attributes("code", ["class"]);
    builder.add_tag_attributes("span", ["class"]);
    builder.add_tag_attributes("div", ["class"]);
    builder.add_tag_attributes("input", ["type", "checked", "disabled"]);
    builder.add_tags(["input"]);
    builder.link_rel(Some("noopener noreferrer"));
    builder.url_relative(ammonia::UrlRelative::PassThrough);
    builder.generic_attributes(HashSet::from(["lang", "title", "align"]));
    builder.attribute_filter(move |element: &str, attribute: &str, value: &str| {
        anki_web_view_filter(element, attribute, value, remote_images)
    });
    builder
}

/// What ammonia's defaults allow but Anki's web view should not get: a task list's checkbox
/// is the only `<input>` (a password field in a card is a phishing form), protocol-relative
/// URLs (`//evil.example`, which reach another host) are dropped, and remote images, which
/// load (and tell a tracker) whenever the card is shown, lose their source unless they are to
/// be downloaded (`remote_images`, plain `http` and `https` only).
fn anki_web_view_filter<'a>(
    element: &str,
    attribute: &str,
    value: &'a str,
    remote_images: bool,
) -> Option<std::borrow::Cow<'a, str>> {
    if element == "input" && attribute == "type" {
        return Some("checkbox".into());
    }
    if matches!(attribute, "href" | "src") {
        // Browsers read `\` in a URL as `/`, and ignore leading blanks.
        let url = value
            .trim_start_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
            .replace('\\', "/")
            .to_ascii_lowercase();
        let downloaded = remote_images
            && (value.starts_with("http://") || value.starts_with("https://"))
            && !value.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
        let remote_image = element == "img"
            && !downloaded
            && (url.starts_with("http:") || url.starts_with("https:") || url.starts_with("ftp:"));
        if url.starts_with("//") || remote_image {
            return None;
        }
    }
    Some(value.into())
}

/// MathJax, which Anki ships, reads `\(…\)` and `\[…\]`; pulldown-cmark has already kept
/// math out of code, so only real math events are turned into text with those delimiters.
fn math_to_mathjax(event: Event<'_>) -> Event<'_> {
    match event {
        Event::InlineMath(math) => {
            Event::Text(CowStr::from(format!("\\({}\\)", inert_math(&math))))
        }
        Event::DisplayMath(math) => {
            Event::Text(CowStr::from(format!("\\[{}\\]", inert_math(&math))))
        }
        other => other,
    }
}

/// MathJax commands that make links (`\href`), run or load code (`\require`, `\unicode`,
/// `\mmlToken`), or set HTML attributes and styles (`\style`, `\class`, `\cssId`, `\html…`,
/// `\data…`, `\bbox`, the action extension's `\toggle` and tips). Anki renders math with
/// MathJax 3 without its safe extension, and the sanitiser only ever sees the math as text.
const ACTIVE_MATH_COMMANDS: [&str; 11] = [
    "href", "style", "class", "cssId", "unicode", "require", "mmlToken", "bbox", "toggle",
    "mathtip", "texttip",
];

/// `math` with every active command's backslash shown instead (`\backslash href`), so MathJax
/// typesets its name as text. Control symbols (`\\`, `\{`) are kept as pairs, so `\\href`
/// (a line break, then letters) is left alone.
fn inert_math(math: &str) -> Cow<'_, str> {
    let active = |name: &str| {
        ACTIVE_MATH_COMMANDS.contains(&name) || name.starts_with("html") || name.starts_with("data")
    };
    let mut out = String::new();
    let mut copied = 0;
    let bytes = math.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
            end += 1;
        }
        if end == start {
            i = start + 1;
            continue;
        }
        if active(&math[start..end]) {
            out.push_str(&math[copied..i]);
            out.push_str("\\backslash ");
            copied = start;
        }
        i = end;
    }
    if copied == 0 {
        return Cow::Borrowed(math);
    }
    out.push_str(&math[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reencoded_characters_are_found_bytewise() {
        for html in ["a\u{a0}b", "a\rb", "a\0b", "\u{a0}"] {
            assert!(needs_reencoding(html), "{html:?}");
        }
        // à is C3 A0 and Â is C3 82: an A0 or C2 byte alone is no no-break space.
        for html in ["", "voil\u{e0}", "\u{c2}\u{e0}", "caf\u{e9}\n"] {
            assert!(!needs_reencoding(html), "{html:?}");
        }
    }

    /// A plain line skips the parser and comes out exactly as parsing writes it, sanitised or
    /// not, as a block and inline; anything Markdown could read differently is parsed.
    #[test]
    fn a_plain_line_renders_as_parsing_renders_it() {
        let plain = [
            "What is the capital of France?",
            "Why isn't a well-known (C++) rule: x = 2/3, 50% + @ less!",
            "a  b",
        ];
        for renderer in [HtmlRenderer::new(false), HtmlRenderer::new(true)] {
            for text in plain {
                assert!(is_plain_line(text), "{text:?}");
                assert_eq!(renderer.block(text), renderer.parsed(text), "{text:?}");
                let parsed_inline = renderer.parsed(text);
                assert_eq!(
                    renderer.inline(text),
                    parsed_inline[3..parsed_inline.len() - 4]
                );
            }
        }
        for text in [
            "",
            "1. x",
            "x ",
            " x",
            "a *b*",
            "a_b_",
            "x\ny",
            "a & b",
            "a <b>",
            "say \"hi\"",
            "a [sound:x]",
            "$5",
            "# x",
            "a `b`",
            "a ~~b~~",
            "a | b",
            "a\\b",
            "caf\u{e9}",
            "a\u{a0}b",
        ] {
            assert!(!is_plain_line(text), "{text:?}");
        }
    }

    use super::*;

    #[test]
    fn lists_emphasis_code_and_links_survive() {
        let html = HtmlRenderer::new(false)
            .block("Intro *em* `code` [link](https://example.com):\n-   one\n-   **two**");
        assert_eq!(
            html,
            "<p>Intro <em>em</em> <code>code</code> <a href=\"https://example.com\" rel=\"noopener noreferrer\">link</a>:</p>\n<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>"
        );
    }

    #[test]
    fn questions_render_inline() {
        let renderer = HtmlRenderer::new(false);
        assert_eq!(
            renderer.inline("What is `x` & y?"),
            "What is <code>x</code> &amp; y?"
        );
    }

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = HtmlRenderer::new(false).block(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> [a](javascript:alert(1))",
        );
        assert!(!html.contains("script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn mathjax_commands_that_link_run_or_restyle_are_inert() {
        let html = HtmlRenderer::new(false).inline(
            r"$\href{javascript:alert(1)}{\style{position:fixed}{x}}$ $\class{a}{b} \cssId{i}{c} \unicode{x41} \require{html} \htmlData{a=b}{x} \dataFoo \bbox[red]{x}$ $$\frac{1}{2}\mmlToken{mi}{x}$$",
        );
        for command in [
            r"\href",
            r"\style",
            r"\class",
            r"\cssId",
            r"\unicode",
            r"\require",
            r"\htmlData",
            r"\dataFoo",
            r"\bbox",
            r"\mmlToken",
        ] {
            assert!(!html.contains(command), "{command} in {html}");
        }
        assert!(
            html.contains(r"\backslash href{javascript:alert(1)}"),
            "{html}"
        );
        let line_break = HtmlRenderer::new(false).inline(r"$a \\href$");
        assert_eq!(
            line_break, r"\(a \\href\)",
            "a line break then letters stays"
        );
        assert!(html.contains(r"\frac{1}{2}"), "{html}");
    }

    #[test]
    fn money_is_not_math() {
        let renderer = HtmlRenderer::new(false);
        assert_eq!(renderer.inline("It costs $5-$10."), "It costs $5-$10.");
        assert_eq!(renderer.inline("Is $x$ 1?"), r"Is \(x\) 1?");
    }

    #[test]
    fn anki_tags_in_author_text_are_inert_unless_raw_html_is_allowed() {
        let text =
            "[sound:../../a.mp3] [anki:tts lang=en]x[/anki:tts] [latex]\\write18{x}[/latex] [link]";
        let html = HtmlRenderer::new(false).inline(text);
        for tag in ["[sound:", "[anki:tts", "[latex]", "[/latex]"] {
            assert!(!html.contains(tag), "{tag} in {html}");
        }
        assert!(html.contains("[<span></span>sound:../../a.mp3]"), "{html}");
        assert!(html.contains("[link]"), "{html}");
        let trusted = HtmlRenderer::new(true).inline(text);
        assert!(trusted.contains("[sound:../../a.mp3]"), "{trusted}");
    }

    #[test]
    fn form_controls_protocol_relative_urls_and_remote_images_are_dropped() {
        let html = HtmlRenderer::new(false).block(
            "<input type=\"password\" name=p> [a](//evil.example/x) <a href=\"/\\evil.example\">b</a> \
             ![r](https://tracker.example/p.png) ![l](img/ok.png)\n\n- [x] done",
        );
        assert!(!html.contains("password"), "{html}");
        assert!(!html.contains("evil.example"), "{html}");
        assert!(!html.contains("<img src=\"https"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://tracker.example/p.png\" rel=\"noopener noreferrer\">r</a>"
            ),
            "a remote image is a link to it: {html}"
        );
        assert!(html.contains("src=\"img/ok.png\""), "{html}");
        let raw = HtmlRenderer::new(false)
            .block("<img src=\"https://tracker.example/q.png\" alt=\"q\"> <img src=\"ftp://t.example/f.png\">");
        assert_eq!(
            raw,
            "<p><a href=\"https://tracker.example/q.png\" rel=\"noopener noreferrer\">q</a> <img></p>"
        );
        let untitled = HtmlRenderer::new(false).block("![](https://x.example/u.png)");
        assert_eq!(
            untitled,
            "<p><a href=\"https://x.example/u.png\" rel=\"noopener noreferrer\">https://x.example/u.png</a></p>"
        );
        let kept = HtmlRenderer::new(false)
            .with_remote_images(true)
            .block("![k](https://x.example/k.png) <img src=\"http://x.example/r.png\"> ![f](ftp://x.example/f.png)");
        assert!(
            kept.contains("<img src=\"https://x.example/k.png\" alt=\"k\">"),
            "{kept}"
        );
        assert!(
            kept.contains("<img src=\"http://x.example/r.png\">"),
            "{kept}"
        );
        assert!(!kept.contains("ftp:"), "{kept}");
        assert!(
            html.contains("type=\"checkbox\""),
            "task lists keep their box: {html}"
        );
    }

    /// Markdown the fast path must render exactly as the sanitiser does, or leave to it.
    const AGREEMENT_CORPUS: &[&str] = &[
        "plain text",
        "Text with & and < and > and \"quotes\" and 'apostrophes' and `code <b>` too",
        "*em* **strong** ***both*** ~~gone~~ _under_ __dunder__",
        "Line one  \nhard break, soft\nbreak\\\nbackslash break",
        "# H1\n## H2 with `code`\n###### H6\n\nSetext\n======",
        "> quote\n> > nested quote\n\n---\n\n***\n\nafter rules",
        "-   one\n-   **two**\n    -   nested *three*\n        1. deep\n\n3.  third\n4.  fourth",
        "1) paren list\n2) second\n\n7. starts at seven",
        "```rust\nfn main() { println!(\"<&>\"); }\n```\n\n    indented code <x>\n\n```\nno lang\n```",
        "```c++ extra words\nint x;\n```",
        "```weird\"lang\nx\n```",
        "[link](https://example.com/a_b-c.d?x=1;y=2#frag) and <https://auto.example.org/p>",
        "[rel](docs/page.html) [root](/abs/path) [frag](#top) [query](?q=1) [empty]()",
        "[amp](https://example.com/?a=1&b=2) [quote](https://example.com/it's)",
        "[titled](https://example.com \"A title\") [ref][r]\n\n[r]: https://example.com/ref",
        "[space](<https://example.com/a b>) [unicode](https://example.com/é)",
        "[ftp](ftp://example.com) [tel](tel:123) [MAILTO](MAILTO:x@y.z) [HTTP](HTTP://X.COM)",
        "mail <someone@example.com> and <mailto:someone@example.com>",
        "[js](javascript:alert(1)) [JS](JAVASCRIPT:alert(1)) [vb](vbscript:msgbox) [data](data:text/html,x)",
        "[tab](java&#9;script:alert(1)) [nl](java&#10;script:alert(1)) [colon](javascript&colon;alert(1))",
        "![image](https://example.com/x.png \"t\") ![js](javascript:alert(1))",
        "| a | b |\n|:--|--:|\n| 1 | 2 |",
        "- [ ] task\n- [x] done",
        "entities: &amp; &lt; &copy; &nbsp; &#0; &#13; &#x41; &bogus;",
        "non-breaking\u{a0}space and carriage\rreturn and nul\0byte",
        "<b>raw</b> inline html and <!-- a comment -->",
        "<div>\nblock html\n</div>",
        "<script>alert(1)</script>",
        "Emoji 😀, CJK 漢字, RTL שלום, combining e\u{301}",
        "trailing spaces and newlines   \n\n\n",
        "",
        "\\*escaped\\* \\<not a tag\\> \\[not a link\\]",
        "**nested [link *em*](https://x.org)** and [**bold link**](https://y.org)",
        "---\ntitle: metadata?\n---\nbody",
        "1.  **Question?**\n\n    -   **Answer:** nested\n\n-   after",
    ];

    fn sanitiser_only(markdown: &str) -> String {
        let renderer = HtmlRenderer::new(false);
        sanitised(renderer.sanitizer.as_ref().unwrap(), markdown, true)
    }

    #[test]
    fn the_fast_path_writes_what_the_sanitiser_writes() {
        let seed = include_str!("../../examples/mlops-interview-questions.md");
        let cards = crate::source::layout::extract(seed, crate::source::LayoutChoice::Auto).cards;
        let corpus = AGREEMENT_CORPUS
            .iter()
            .map(|s| s.to_string())
            .chain(
                cards
                    .iter()
                    .flat_map(|c| [c.question.clone(), c.answer.clone()]),
            )
            .chain(std::iter::once(seed.to_string()));
        let mut fast = 0;
        for markdown in corpus {
            let expected = sanitiser_only(&markdown);
            if let Some(html) = fast_path(&markdown) {
                fast += 1;
                assert_eq!(html, expected, "fast path differs for {markdown:?}");
            }
            let plain = HtmlRenderer::new(false).with_highlighting(false);
            assert_eq!(plain.block(&markdown), expected);
        }
        assert!(
            fast > 2 * cards.len(),
            "the seed's fields take the fast path"
        );
    }

    #[test]
    fn the_fast_path_agrees_on_random_mixtures() {
        // A fixed linear congruential generator: the same mixtures on every run.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let separators = ["", " ", "\n", "\n\n", "\n    ", "\n-   ", "\n1.  ", "\n> "];
        let mut fast = 0;
        for _ in 0..3000 {
            let mut markdown = String::new();
            for _ in 0..1 + next(4) {
                markdown.push_str(separators[next(separators.len())]);
                markdown.push_str(AGREEMENT_CORPUS[next(AGREEMENT_CORPUS.len())]);
            }
            if let Some(html) = fast_path(&markdown) {
                fast += 1;
                assert_eq!(html, sanitiser_only(&markdown), "{markdown:?}");
            }
        }
        assert!(fast > 500, "only {fast} mixtures took the fast path");
    }

    #[test]
    fn hostile_markdown_never_takes_the_fast_path() {
        for markdown in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "text <span onclick=\"x()\">inline</span>",
            "<!-- comment -->",
            "[js](javascript:alert(1))",
            "[JS](JAVASCRIPT:alert(1))",
            "[tab](java&#9;script:alert(1))",
            "[entity](javascript&#58;alert(1))",
            "<javascript:alert(1)>",
            "[data](data:text/html;base64,PHNjcmlwdD4=)",
            "![img](javascript:alert(1))",
            "[ref][r]\n\n[r]: javascript:alert(1)",
            "[t](https://x.org \"\\\"onmouseover=alert(1)\")",
        ] {
            assert_eq!(fast_path(markdown), None, "{markdown:?}");
            let html = HtmlRenderer::new(false).block(markdown);
            // Link text may say `javascript:`; no attribute may hold it.
            for bad in [
                "<script",
                " onerror=",
                " onclick=",
                " onmouseover=",
                "=\"javascript",
                "=\"data",
            ] {
                assert!(
                    !html.to_ascii_lowercase().contains(bad),
                    "{markdown:?} gave {html}"
                );
            }
        }
    }

    #[test]
    fn math_becomes_mathjax_but_not_in_code() {
        let html = HtmlRenderer::new(false).block("Area $a<b$ and\n\n$$x^2$$\n\n`$c$`");
        assert_eq!(
            html,
            "<p>Area \\(a&lt;b\\) and</p>\n<p>\\[x^2\\]</p>\n<p><code>$c$</code></p>"
        );
    }

    #[test]
    fn tables_and_safe_inline_html_survive() {
        let html = HtmlRenderer::new(false)
            .block("| a | b |\n|---|--:|\n| 1 | 2 |\n\nH<sub>2</sub>O <strong>x</strong>");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<td>1</td>"), "{html}");
        assert!(html.contains("H<sub>2</sub>O <strong>x</strong>"), "{html}");
    }

    #[test]
    fn audio_and_video_tags_become_inert_sound_tags() {
        let html = HtmlRenderer::new(false).block(
            "Hear it:\n\n<audio controls src=\"a b.mp3\"></audio>\n\n<video><source src='c.webm'></video> <AUDIO SRC=d.ogg>",
        );
        assert!(html.contains("[<span></span>sound:a b.mp3]"), "{html}");
        assert!(html.contains("[<span></span>sound:c.webm]"), "{html}");
        assert!(html.contains("[<span></span>sound:d.ogg]"), "{html}");
        assert!(
            !html.contains("<audio") && !html.contains("<video"),
            "{html}"
        );
        assert_eq!(
            attribute(" controls src=\"x\"", "src").as_deref(),
            Some("x")
        );
        assert_eq!(attribute(" datasrc=\"x\"", "src"), None);
    }

    #[test]
    fn code_blocks_keep_their_language() {
        let html = HtmlRenderer::new(false).block("```rust\nfn main() {}\n```");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    }
}
