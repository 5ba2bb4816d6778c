//! Markdown to HTML for Anki fields, sanitised with an allow-list because Anki shows fields in a
//! web view that runs scripts.

use std::collections::HashSet;

use pulldown_cmark::{Parser, html};

use crate::source::markdown::parser_options;

/// Renders question and answer Markdown to HTML.
pub struct HtmlRenderer {
    sanitizer: Option<ammonia::Builder<'static>>,
}

impl HtmlRenderer {
    /// `allow_raw_html` skips sanitising (the `--allow-html` escape hatch for trusted sources).
    pub fn new(allow_raw_html: bool) -> Self {
        let sanitizer = (!allow_raw_html).then(|| {
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
        });
        HtmlRenderer { sanitizer }
    }

    /// Renders block Markdown (an answer).
    pub fn block(&self, markdown: &str) -> String {
        let mut out = String::with_capacity(markdown.len() + markdown.len() / 4);
        html::push_html(&mut out, Parser::new_ext(markdown, parser_options()));
        self.clean(out.trim_end())
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
    fn code_blocks_keep_their_language() {
        let html = HtmlRenderer::new(false).block("```rust\nfn main() {}\n```");
        assert!(html.contains("<code class=\"language-rust\">"), "{html}");
    }
}
