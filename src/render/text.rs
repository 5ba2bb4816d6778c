//! Markdown to plain text for apps that show no HTML (Quizlet, Brainscape, SuperMemo,
//! spreadsheets). Nothing the reader needs is dropped: list markers, code, link targets, image
//! sources and table cells all survive; only emphasis markers go.
//!
//! The event stream is walked in one loop with an explicit stack of open containers, so deeply
//! nested lists or quotes cannot overflow the call stack.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::source::markdown::parser_options;
use crate::write::anki_text::strip_html_preserving_media_filenames;

/// The marker of an unordered list item.
pub(crate) const BULLET: &str = "•";

/// Renders Markdown as plain text lines joined by `\n`, without trailing whitespace.
pub fn to_text(markdown: &str) -> String {
    let mut writer = TextWriter {
        at_line_start: true,
        ..TextWriter::default()
    };
    let markdown = crate::render::keep_lone_markers(markdown);
    for event in Parser::new_ext(&markdown, parser_options()) {
        writer.event(event);
    }
    writer.finish()
}

/// A container that shapes the start of each line inside it.
#[derive(Debug)]
enum Frame {
    /// An ordered list counts from its start number; a bullet list has none.
    List {
        next: Option<u64>,
    },
    /// A list item: its marker goes on its first line, its width of spaces on the others.
    Item {
        marker: String,
        pending: bool,
    },
    Quote,
    /// Not a container (a code or metadata block); present so ends pop what starts pushed.
    Other,
}

#[derive(Debug, Default)]
struct TextWriter {
    out: String,
    frames: Vec<Frame>,
    /// Open links and images: where their text starts in `out`, their target and title.
    spans: Vec<(usize, String, String)>,
    /// Cells written so far in the current table row.
    cells: usize,
    /// True when the next character begins a line, so the container prefix is due first.
    at_line_start: bool,
    /// The raw HTML block being read; stripped whole, since a tag may span its lines.
    html_block: Option<String>,
}

impl TextWriter {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.text(&text)
            }
            Event::Code(code) => self.text(&code),
            Event::Html(html) => match &mut self.html_block {
                Some(block) => block.push_str(&html),
                None => self.html_block(&html),
            },
            Event::InlineHtml(html) => {
                if is_line_break_tag(&html) {
                    self.end_line();
                } else {
                    let text = strip_html_preserving_media_filenames(&html);
                    self.text(text.trim());
                }
            }
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]")),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.end_line(),
            Event::Rule => {
                self.break_line();
                self.text("---");
                self.break_line();
            }
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::HtmlBlock => {
                self.break_line();
                self.html_block = Some(String::new());
            }
            Tag::Paragraph
            | Tag::Heading { .. }
            | Tag::Table(_)
            | Tag::TableRow
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition => self.break_line(),
            Tag::TableHead => {
                self.break_line();
                self.cells = 0;
            }
            Tag::TableCell => {
                if self.cells > 0 {
                    self.text(" | ");
                }
                self.cells += 1;
            }
            Tag::BlockQuote(_) => {
                self.break_line();
                self.frames.push(Frame::Quote);
            }
            Tag::CodeBlock(_) | Tag::MetadataBlock(_) => {
                self.break_line();
                self.frames.push(Frame::Other);
            }
            Tag::List(start) => {
                self.break_line();
                self.frames.push(Frame::List { next: start });
            }
            Tag::Item => {
                self.break_line();
                let marker = match self.frames.last_mut() {
                    Some(Frame::List { next: Some(n) }) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => format!("{BULLET} "),
                };
                self.frames.push(Frame::Item {
                    marker,
                    pending: true,
                });
            }
            Tag::FootnoteDefinition(label) => {
                self.break_line();
                self.text(&format!("[^{label}]: "));
            }
            Tag::Link {
                dest_url, title, ..
            }
            | Tag::Image {
                dest_url, title, ..
            } => {
                self.begin_line();
                self.spans
                    .push((self.out.len(), dest_url.to_string(), title.to_string()));
            }
            Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::HtmlBlock => {
                if let Some(block) = self.html_block.take() {
                    self.html_block(&block);
                }
                self.break_line();
            }
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::Table
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => {
                self.break_line();
                self.cells = 0;
            }
            TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::MetadataBlock(_)
            | TagEnd::List(_) => {
                self.break_line();
                self.frames.pop();
            }
            TagEnd::Item => {
                // An empty item still shows its marker, so numbering gaps stay visible.
                if let Some(Frame::Item { pending: true, .. }) = self.frames.last() {
                    self.begin_line();
                }
                self.break_line();
                self.frames.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                if let Some((start, url, title)) = self.spans.pop() {
                    self.close_span(start, &url, &title);
                }
            }
            TagEnd::TableCell
            | TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {}
        }
    }

    /// `text (url)`, or just `url` when the text is the address itself or empty.
    fn close_span(&mut self, start: usize, url: &str, title: &str) {
        let text = self.out[start..].trim();
        let is_url = text == url || url.strip_prefix("mailto:") == Some(text);
        let suffix = match (url.is_empty(), text.is_empty() || is_url, title.is_empty()) {
            (true, _, true) => String::new(),
            (true, _, false) => format!(" (\"{title}\")"),
            (false, true, true) if is_url => String::new(),
            (false, true, true) => url.to_string(),
            (false, true, false) if is_url => format!(" (\"{title}\")"),
            (false, true, false) => format!("{url} (\"{title}\")"),
            (false, false, true) => format!(" ({url})"),
            (false, false, false) => format!(" ({url} \"{title}\")"),
        };
        self.out.push_str(&suffix);
    }

    /// Raw HTML keeps its text and media file names; its tags have no meaning in plain text.
    fn html_block(&mut self, html: &str) {
        let text = strip_html_preserving_media_filenames(html);
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            self.text(line.trim_end());
            self.end_line();
        }
    }

    /// Writes text, starting a new prefixed line at each `\n`.
    fn text(&mut self, text: &str) {
        for (i, segment) in text.split('\n').enumerate() {
            if i > 0 {
                self.end_line();
            }
            if !segment.is_empty() {
                self.begin_line();
                self.out.push_str(segment);
            }
        }
    }

    /// Writes the container prefix if a line is just beginning.
    fn begin_line(&mut self) {
        if !self.at_line_start {
            return;
        }
        self.at_line_start = false;
        for frame in &mut self.frames {
            match frame {
                Frame::Quote => self.out.push_str("> "),
                Frame::Item { marker, pending } => {
                    if *pending {
                        self.out.push_str(marker);
                        *pending = false;
                    } else {
                        let width = marker.chars().count();
                        self.out.extend(std::iter::repeat_n(' ', width));
                    }
                }
                Frame::List { .. } | Frame::Other => {}
            }
        }
    }

    /// Ends the current line, even an empty one (blank lines inside code blocks matter).
    fn end_line(&mut self) {
        trim_trailing_spaces(&mut self.out);
        self.out.push('\n');
        self.at_line_start = true;
    }

    /// Ends the current line unless nothing was written on it (block boundaries).
    fn break_line(&mut self) {
        if !self.at_line_start {
            self.end_line();
        }
    }

    fn finish(self) -> String {
        self.out.trim_start_matches('\n').trim_end().to_string()
    }
}

fn trim_trailing_spaces(out: &mut String) {
    let kept = out.trim_end_matches([' ', '\t']).len();
    out.truncate(kept);
}

fn is_line_break_tag(html: &str) -> bool {
    let tag: String = html
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '/')
        .collect();
    tag.eq_ignore_ascii_case("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_become_bullets_and_numbers_with_nesting() {
        assert_eq!(
            to_text("Intro:\n\n- one\n- two\n  - nested *a*\n  - nested b\n- three"),
            "Intro:\n• one\n• two\n  • nested a\n  • nested b\n• three"
        );
        assert_eq!(
            to_text("3. c\n4. d\n   1. inner\n"),
            "3. c\n4. d\n   1. inner"
        );
    }

    #[test]
    fn loose_items_keep_every_paragraph_indented() {
        assert_eq!(
            to_text("- first para\n\n  second para\n\n- next"),
            "• first para\n  second para\n• next"
        );
    }

    #[test]
    fn emphasis_goes_and_code_stays() {
        assert_eq!(
            to_text("**bold** _it_ ~~old~~ `a * b` and\nmore"),
            "bold it old a * b and more"
        );
        assert_eq!(
            to_text("Run:\n\n```sh\nmake\n\n\tmake install\n```\nDone"),
            "Run:\nmake\n\n\tmake install\nDone"
        );
    }

    #[test]
    fn links_and_images_keep_their_targets() {
        assert_eq!(
            to_text("[docs](https://x.org) and <https://y.org> and [](https://z.org)"),
            "docs (https://x.org) and https://y.org and https://z.org"
        );
        assert_eq!(
            to_text("![a cat](cat.png \"Tom\") ![](dog.png)"),
            "a cat (cat.png \"Tom\") dog.png"
        );
        assert_eq!(to_text("<me@example.com>"), "me@example.com");
    }

    #[test]
    fn tables_quotes_headings_and_breaks() {
        assert_eq!(
            to_text("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 |   |"),
            "a | b\n1 | 2\n3 |"
        );
        assert_eq!(
            to_text("> quoted\n> - item\n\n# Title\nline  \nbreak<br>again\n\n---\nend"),
            "> quoted\n> • item\nTitle\nline\nbreak\nagain\n---\nend"
        );
    }

    #[test]
    fn raw_html_keeps_text_but_no_tags() {
        let text =
            to_text("<div>inside <b>bold</b></div>\n\nsee <img src=\"x.png\"> <span>s</span>");
        assert!(!text.contains('<'), "{text}");
        assert!(text.contains("inside bold"), "{text}");
        assert!(text.contains("x.png"), "{text}");
        assert!(text.contains('s'), "{text}");
    }

    #[test]
    fn task_lists_and_empty_items_keep_their_markers() {
        assert_eq!(
            to_text("- [x] done\n- [ ] todo\n-\n"),
            "• [x] done\n• [ ] todo\n•"
        );
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let depth = 20_000;
        let markdown = ">".repeat(depth) + " deep";
        let text = to_text(&markdown);
        assert!(text.ends_with("> deep"), "{}", &text[text.len() - 20..]);
        let list: String = (0..500)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        assert_eq!(to_text(&list).lines().count(), 500);
    }
}
