//! Finds blocks that are navigation or decoration, not content, so answers can leave them out:
//! "Back to Top" links and badge rows; also where `<details>` blocks only hide an answer, whose
//! wrapper a card can drop (flipping the card already reveals it).

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::details::{self, reveals_answer, strip_tags};

/// Collects the byte ranges of clutter paragraphs, whole lines included.
#[derive(Debug, Default)]
pub(crate) struct Clutter {
    ranges: Vec<Range<usize>>,
    paragraph: Option<Probe>,
    /// The HTML block being read.
    html: Option<Range<usize>>,
    /// The `<details>` blocks open, outermost first.
    details: Vec<OpenDetails>,
    reveals: Vec<Reveal>,
}

/// A `<details>` block whose summary reveals an answer ("Answer", "Explanation", "答案"):
/// its opening tag through the summary, and its closing tag, whole lines where they stand alone.
#[derive(Debug, Clone)]
pub(crate) struct Reveal {
    pub open: Range<usize>,
    pub close: Range<usize>,
}

#[derive(Debug)]
struct OpenDetails {
    /// The `<details>` tag.
    open: Range<usize>,
    /// Where the summary's text starts, while it is read.
    summary: Option<usize>,
    /// Whether its summary was read, and where the wrapper ends when it reveals an answer.
    read: bool,
    reveal: Option<Range<usize>>,
}

#[derive(Debug)]
struct Probe {
    range: Range<usize>,
    /// Open links and images, innermost last: `true` for an in-page link (`#anchor`) or image.
    inside: Vec<Inside>,
    back_to_top: bool,
    badges: usize,
    content: bool,
}

impl Probe {
    /// Follows one event inside the paragraph: links, images, and whether any text is content.
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.inside.push(if dest_url.starts_with('#') {
                    Inside::Anchor
                } else {
                    Inside::Link
                });
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                self.inside.push(Inside::Image);
                if is_badge(dest_url) {
                    self.badges += 1;
                } else {
                    self.content = true;
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                self.inside.pop();
            }
            Event::Text(text) => match self.inside.last() {
                Some(Inside::Image) => {}
                Some(Inside::Anchor) => {
                    if text.to_lowercase().contains("top") || text.contains(['⬆', '↑', '🔝', '⤴'])
                    {
                        self.back_to_top = true;
                    }
                }
                _ => {
                    if !text.trim().is_empty() {
                        self.content = true;
                    }
                }
            },
            Event::Start(Tag::Strong | Tag::Emphasis)
            | Event::End(TagEnd::Strong | TagEnd::Emphasis)
            | Event::SoftBreak
            | Event::HardBreak => {}
            _ => self.content = true,
        }
    }
}

impl Clutter {
    pub fn event(&mut self, src: &str, event: &Event<'_>, range: &Range<usize>) {
        if let Event::Html(html) | Event::InlineHtml(html) = event {
            // Spaced-repetition plugins keep their review schedule in `<!--SR:…-->` comments.
            if html.trim_start().starts_with("<!--SR:") {
                self.ranges.push(whole_lines(src, range));
            }
            self.details(src, range);
        }
        match event {
            // A back-to-top link indented deeper than its list item's text reads as code.
            Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Indented))
                if back_to_top_line(&src[range.clone()]) =>
            {
                self.ranges.push(whole_lines(src, range));
            }
            Event::Start(Tag::HtmlBlock) => self.html = Some(range.clone()),
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(block) = self.html.take() {
                    if html_clutter(&src[block.clone()]) {
                        self.ranges.push(whole_lines(src, &block));
                    }
                }
            }
            Event::Html(_) => {}
            Event::Start(Tag::Paragraph) => {
                self.paragraph = Some(Probe {
                    range: range.clone(),
                    inside: Vec::new(),
                    back_to_top: false,
                    badges: 0,
                    content: false,
                })
            }
            Event::End(TagEnd::Paragraph) => {
                let Some(probe) = self.paragraph.take() else {
                    return;
                };
                if !probe.content && (probe.back_to_top || probe.badges > 0) {
                    self.ranges.push(whole_lines(src, &probe.range));
                } else {
                    self.ranges.extend(directive_lines(src, &probe.range));
                }
            }
            _ => {
                let Some(probe) = &mut self.paragraph else {
                    return;
                };
                probe.event(event);
            }
        }
    }

    /// Follows `<details>` tags, recording the blocks that reveal an answer.
    fn details(&mut self, src: &str, range: &Range<usize>) {
        for (tag, closing, span) in details::tags(src, range) {
            match (tag, closing) {
                (details::Tag::Details, false) => self.details.push(OpenDetails {
                    open: span,
                    summary: None,
                    read: false,
                    reveal: None,
                }),
                (details::Tag::Summary, false) => {
                    if let Some(open) = self.details.last_mut().filter(|o| !o.read) {
                        open.summary = Some(span.end);
                    }
                }
                (details::Tag::Summary, true) => {
                    let Some(open) = self.details.last_mut().filter(|o| !o.read) else {
                        continue;
                    };
                    let Some(summary) = open.summary.take() else {
                        continue;
                    };
                    open.read = true;
                    if reveals_answer(&strip_tags(&src[summary..span.start.max(summary)])) {
                        open.reveal = Some(tag_lines(src, open.open.start..span.end));
                    }
                }
                (details::Tag::Details, true) => {
                    if let Some(open) = self.details.pop().and_then(|o| o.reveal) {
                        let close = tag_lines(src, span);
                        self.reveals.push(Reveal { open, close });
                    }
                }
            }
        }
    }

    /// The clutter ranges and the revealing `<details>` blocks, each sorted.
    pub fn finish(mut self) -> (Vec<Range<usize>>, Vec<Reveal>) {
        self.ranges.sort_by_key(|r| r.start);
        self.reveals.sort_by_key(|r| r.open.start);
        (self.ranges, self.reveals)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inside {
    Anchor,
    Link,
    Image,
}

/// An HTML block that is navigation or an anchor target: `<div align="right"><a href="#top">↥
/// back to top</a></div>`, `<div id="q12" />`, `<a name="q12"></a>`.
fn html_clutter(html: &str) -> bool {
    let lower = html.to_lowercase();
    // VitePress pulls another file in at build time: `<!--@include: ../parts/links.md-->`.
    let trimmed = lower.trim();
    if trimmed.starts_with("<!--@include") && trimmed.ends_with("-->") && !trimmed.contains('\n') {
        return true;
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in lower.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.trim();
    let media = [
        "<img", "<svg", "<video", "<iframe", "<table", "<details", "<summary", "<p",
    ];
    if media.iter().any(|m| lower.contains(m)) {
        return false;
    }
    if text.is_empty() {
        let anchor_only =
            lower.trim_start().starts_with("<div") || lower.trim_start().starts_with("<a");
        return anchor_only && (lower.contains(" id=") || lower.contains(" name="));
    }
    let back_to_top = text.contains("top") || text.contains(['⬆', '↑', '↥', '🔝', '⤴']);
    back_to_top && lower.contains("href=\"#") && text.chars().count() <= 30
}

/// Widens a tag's range over the line it stands alone on, so cutting it leaves no blank
/// indentation behind; a tag sharing its line with text is cut alone.
pub(crate) fn tag_lines(src: &str, range: Range<usize>) -> Range<usize> {
    let line_start = src[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[range.end..]
        .find('\n')
        .map_or(src.len(), |i| range.end + i + 1);
    if src[line_start..range.start].trim().is_empty() && src[range.end..line_end].trim().is_empty()
    {
        line_start..line_end
    } else {
        range
    }
}

fn is_badge(url: &str) -> bool {
    url.contains("shields.io") || url.contains("badge") || url.contains("badgen.net")
}

/// Whether a block is one line holding only an in-page link back to the top:
/// `**[⬆ Back to Top](#table-of-contents)**`.
fn back_to_top_line(block: &str) -> bool {
    let line = block.trim();
    if line.contains('\n') {
        return false;
    }
    let link = line.trim_matches(['*', '_']);
    let Some((text, target)) = link
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(')'))
        .and_then(|l| l.split_once("](#"))
    else {
        return false;
    };
    !target.contains(' ')
        && (text.to_lowercase().contains("top") || text.contains(['⬆', '↑', '🔝', '⤴']))
}

/// The lines of a paragraph that are rendering directives of a site generator, not text: a
/// line of Hugo shortcodes (`{{< youtube id >}}`) or of Liquid tags (`{%- include x -%}`).
fn directive_lines(src: &str, paragraph: &Range<usize>) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut at = paragraph.start;
    for line in src[paragraph.clone()].split_inclusive('\n') {
        let text = line.trim();
        let shortcode = (text.starts_with("{{<") || text.starts_with("{{%"))
            && (text.ends_with(">}}") || text.ends_with("%}}"));
        let liquid = text.starts_with("{%") && text.ends_with("%}");
        if shortcode || liquid {
            lines.push(whole_lines(src, &(at..at + line.trim_end().len().max(1))));
        }
        at += line.len();
    }
    lines
}

/// Widens `range` to the start of its first line (when only indentation precedes it) and past
/// the line break ending it.
pub(crate) fn whole_lines(src: &str, range: &Range<usize>) -> Range<usize> {
    let line_start = src[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let start = if src[line_start..range.start].trim().is_empty() {
        line_start
    } else {
        range.start
    };
    let mut end = range.end;
    if end > 0 && src.as_bytes()[end - 1] != b'\n' {
        end = src[end..].find('\n').map_or(src.len(), |i| end + i + 1);
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::markdown::parser_options;
    use pulldown_cmark::Parser;

    fn clutter(src: &str) -> Vec<&str> {
        let mut c = Clutter::default();
        for (event, range) in Parser::new_ext(src, parser_options()).into_offset_iter() {
            c.event(src, &event, &range);
        }
        c.finish().0.into_iter().map(|r| &src[r]).collect()
    }

    #[test]
    fn a_back_to_top_link_indented_as_code_is_clutter() {
        let src = "1. Item\n\n    ```js\n    x()\n    ```\n          **[⬆ Back to Top](#toc)**\n";
        assert_eq!(clutter(src), ["          **[⬆ Back to Top](#toc)**\n"]);
        assert!(!super::back_to_top_line("    let top = [1](#x) + 2;"));
    }

    #[test]
    fn site_generator_directives_are_clutter() {
        let src = "{{< youtube abc >}}\n";
        assert_eq!(super::directive_lines(src, &(0..src.len())).len(), 1);
        let src = "{%- include banner.html -%}\n";
        assert_eq!(super::directive_lines(src, &(0..src.len())).len(), 1);
        let src = "Ratio ::: 3\n{{c1::cloze}}\n";
        assert!(super::directive_lines(src, &(0..src.len())).is_empty());
    }

    #[test]
    fn back_to_top_links_and_badges_are_clutter() {
        let src = "Text [top](#top).\n\n- item\n\n  **[⬆ Back to Top](#table-of-contents)**\n\n[![ci](https://img.shields.io/x.svg)](https://ci)\n\n[next](#next)\n";
        assert_eq!(
            clutter(src),
            vec![
                "  **[⬆ Back to Top](#table-of-contents)**\n",
                "[![ci](https://img.shields.io/x.svg)](https://ci)\n"
            ]
        );
    }

    #[test]
    fn back_to_top_blocks_and_anchor_targets_are_clutter() {
        let src = "<div align=\"right\">\n    <b><a href=\"#toc\">↥ back to top</a></b>\n</div>\n\n<div id=\"q3\" />\n\n<div align=\"center\"><img src=\"a.png\"></div>\n\n<details>\n";
        assert_eq!(
            clutter(src),
            vec![
                "<div align=\"right\">\n    <b><a href=\"#toc\">↥ back to top</a></b>\n</div>\n",
                "<div id=\"q3\" />\n"
            ]
        );
    }
}
