//! Markdown to HTML for Anki fields, sanitised with an allow-list because Anki shows fields in a
//! web view that runs scripts.

use std::collections::HashSet;
use std::path::Path;

use pulldown_cmark::{CowStr, Event, Parser, html};

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
        let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
        let events =
            LimitNesting::new(Parser::new_ext(markdown, parser_options())).map(math_to_mathjax);
        html::push_html(&mut out, events);
        self.clean(out.trim_end())
    }

    /// Renders block Markdown and packs the local images it shows (relative to `folder`, the
    /// source document's folder) into `media`, pointing their `src` at the packed names.
    /// Returns the HTML and a message per image that could not be packed.
    pub fn block_with_media(
        &self,
        markdown: &str,
        folder: &Path,
        media: &mut MediaCollector,
    ) -> (String, Vec<String>) {
        self.with_media(self.block(markdown), folder, media)
    }

    /// [`HtmlRenderer::inline`] with images packed as in [`HtmlRenderer::block_with_media`].
    pub fn inline_with_media(
        &self,
        markdown: &str,
        folder: &Path,
        media: &mut MediaCollector,
    ) -> (String, Vec<String>) {
        self.with_media(self.inline(markdown), folder, media)
    }

    fn with_media(
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
