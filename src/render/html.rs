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

use std::cell::Cell;
use std::collections::HashSet;
use std::path::Path;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Parser, Tag, TagEnd, html};

use super::limits::LimitNesting;
use super::media::{MediaCollector, rewrite_img_sources};
use crate::source::markdown::parser_options;

/// Renders question and answer Markdown to HTML.
pub struct HtmlRenderer {
    sanitizer: Option<ammonia::Builder<'static>>,
}

impl HtmlRenderer {
    /// `allow_raw_html` skips sanitising (the `--allow-html` escape hatch for trusted sources).
    pub fn new(allow_raw_html: bool) -> Self {
        let sanitizer = (!allow_raw_html).then(sanitizer);
        HtmlRenderer { sanitizer }
    }

    /// Renders block Markdown (an answer).
    pub fn block(&self, markdown: &str) -> String {
        match &self.sanitizer {
            Some(builder) => fast_path(markdown).unwrap_or_else(|| sanitised(builder, markdown)),
            None => unsanitised(markdown),
        }
    }

    /// Packs the local images that rendered `html` shows (relative to `folder`, the source
    /// document's folder) into `media`, pointing their `src` at the packed names. Returns the
    /// HTML and a message per image that could not be packed.
    pub fn pack_media(
        &self,
        html: String,
        folder: &Path,
        media: &mut MediaCollector,
    ) -> (String, Vec<String>) {
        let mut problems = Vec::new();
        let html = rewrite_img_sources(&html, |src| match media.resolve(folder, src) {
            Ok(name) => name,
            Err(problem) => {
                problems.push(problem);
                None
            }
        });
        (html, problems)
    }

    /// Renders inline Markdown (a question): a lone paragraph loses its `<p>` wrapper.
    pub fn inline(&self, markdown: &str) -> String {
        let rendered = self.block(markdown);
        match rendered
            .strip_prefix("<p>")
            .and_then(|rest| rest.strip_suffix("</p>"))
        {
            Some(inner) if !inner.contains("<p>") => inner.to_string(),
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

/// The event stream every rendering uses: hostile nesting flattened, math for MathJax.
fn events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    LimitNesting::new(Parser::new_ext(markdown, parser_options())).map(math_to_mathjax)
}

fn unsanitised(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
    html::push_html(&mut out, events(markdown));
    out.truncate(out.trim_end().len());
    out
}

fn sanitised(builder: &ammonia::Builder<'static>, markdown: &str) -> String {
    builder.clean(&unsanitised(markdown)).to_string()
}

/// The sanitiser's output without running it, or `None` when the Markdown needs it: see the
/// module documentation.
fn fast_path(markdown: &str) -> Option<String> {
    let refused = Cell::new(false);
    let events = events(markdown).map(|event| {
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
    if refused.get() || out.contains(['\u{a0}', '\r', '\0']) {
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
    plain && (scheme("http://") || scheme("https://") || scheme("mailto:") || !href.contains(':'))
}

/// The allow-list sanitiser fields go through; [`crate::check`] asks it what it would strip.
pub(crate) fn sanitizer() -> ammonia::Builder<'static> {
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
    builder
}

/// MathJax, which Anki ships, reads `\(…\)` and `\[…\]`; pulldown-cmark has already kept
/// math out of code, so only real math events are turned into text with those delimiters.
fn math_to_mathjax(event: Event<'_>) -> Event<'_> {
    match event {
        Event::InlineMath(math) => Event::Text(CowStr::from(format!("\\({math}\\)"))),
        Event::DisplayMath(math) => Event::Text(CowStr::from(format!("\\[{math}\\]"))),
        other => other,
    }
}

/// Escapes text for HTML element content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
        sanitised(renderer.sanitizer.as_ref().unwrap(), markdown)
    }

    #[test]
    fn the_fast_path_writes_what_the_sanitiser_writes() {
        let seed = include_str!("../../examples/mlops-interview-questions.md");
        let cards = crate::source::markdown::extract(seed).cards;
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
            assert_eq!(HtmlRenderer::new(false).block(&markdown), expected);
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
    fn code_blocks_keep_their_language() {
        let html = HtmlRenderer::new(false).block("```rust\nfn main() {}\n```");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    }
}
