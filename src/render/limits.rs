//! Keeps hostile nesting from costing quadratic time: thousands of nested lists, block quotes or
//! raw HTML tags are flattened past a depth no real card needs, before HTML is built and sanitised.

use pulldown_cmark::{CowStr, Event, Tag};

/// Containers (lists, items, block quotes, footnotes) deeper than this lose their markup but
/// keep their text.
pub(crate) const MAX_CONTAINER_DEPTH: usize = 48;
/// Raw HTML nested deeper than this is shown as text instead of being interpreted.
pub(crate) const MAX_RAW_HTML_DEPTH: usize = 256;

const VOID_ELEMENTS: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// An event adapter that enforces [`MAX_CONTAINER_DEPTH`] and [`MAX_RAW_HTML_DEPTH`].
pub(crate) struct LimitNesting<I> {
    inner: I,
    /// For every open tag: whether it is a container, and whether its markup was dropped.
    open: Vec<(bool, bool)>,
    container_depth: usize,
    html_depth: usize,
    html_as_text: bool,
}

impl<I> LimitNesting<I> {
    pub(crate) fn new(inner: I) -> Self {
        LimitNesting {
            inner,
            open: Vec::new(),
            container_depth: 0,
            html_depth: 0,
            html_as_text: false,
        }
    }
}

fn is_container(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::List(_)
            | Tag::Item
            | Tag::BlockQuote(_)
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
    )
}

/// How much deeper a fragment of raw HTML leaves the open-element stack, and the deepest it
/// reaches on the way, both relative to where it starts.
fn html_depth_change(html: &str) -> (isize, isize) {
    let mut change = 0;
    let mut deepest = 0;
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if let Some(name) = tag.strip_prefix('/') {
            if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                change -= 1;
            }
        } else if tag.starts_with(|c: char| c.is_ascii_alphabetic()) && !tag.ends_with('/') {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if !VOID_ELEMENTS.contains(&name.as_str()) {
                change += 1;
                deepest = deepest.max(change);
            }
        }
        rest = &rest[end..];
    }
    (change, deepest)
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for LimitNesting<I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let event = self.inner.next()?;
            match &event {
                Event::Start(tag) => {
                    let container = is_container(tag);
                    if container {
                        self.container_depth += 1;
                    }
                    let drop = container && self.container_depth > MAX_CONTAINER_DEPTH;
                    self.open.push((container, drop));
                    if drop {
                        continue;
                    }
                }
                Event::End(_) => {
                    let (container, dropped) = self.open.pop().unwrap_or((false, false));
                    if container {
                        self.container_depth = self.container_depth.saturating_sub(1);
                    }
                    if dropped {
                        continue;
                    }
                }
                Event::Html(html) | Event::InlineHtml(html) => {
                    if !self.html_as_text {
                        let (change, deepest) = html_depth_change(html);
                        let reached = self.html_depth as isize + deepest;
                        self.html_depth = (self.html_depth as isize + change).max(0) as usize;
                        self.html_as_text = reached > MAX_RAW_HTML_DEPTH as isize;
                    }
                    if self.html_as_text {
                        return Some(Event::Text(CowStr::from(html.to_string())));
                    }
                }
                _ => {}
            }
            return Some(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::HtmlRenderer;

    #[test]
    fn deep_block_quotes_are_flattened_but_keep_their_text() {
        let markdown = format!("{} deep", ">".repeat(5000));
        let html = HtmlRenderer::new(false).block(&markdown);
        assert_eq!(html.matches("<blockquote>").count(), MAX_CONTAINER_DEPTH);
        assert!(html.contains("deep"));
    }

    #[test]
    fn shallow_documents_are_untouched() {
        let markdown = "> quote\n\n- a\n  - b\n    - c\n";
        let events: Vec<_> = pulldown_cmark::Parser::new(markdown).collect();
        let limited: Vec<_> = LimitNesting::new(pulldown_cmark::Parser::new(markdown)).collect();
        assert_eq!(events, limited);
    }

    #[test]
    fn deep_raw_html_becomes_text() {
        let markdown = format!("{}x{}", "<div>".repeat(1000), "</div>".repeat(1000));
        let html = HtmlRenderer::new(false).block(&markdown);
        assert!(
            html.contains("&lt;div&gt;"),
            "past the limit the tags show as text"
        );
        assert!(html.matches("<div>").count() <= MAX_RAW_HTML_DEPTH + 1);
        assert_eq!(html_depth_change("<p><br><img src=x><b>x</b>"), (1, 2));
    }
}
