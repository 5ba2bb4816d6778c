//! Cards whose sides are marked by HTML comments, as note-taking plugins write them:
//! `<!-- front -->` (or `question`) before the question, `<!-- back -->` (or `answer`) before
//! the answer. The comments stay invisible in every Markdown viewer, which is why authors pick
//! them. A `<!-- tags: a, b -->` comment ends the answer and tags the card; a front without a
//! back (a cloze written for another tool) is left out with a warning, as a question without
//! an answer.

use std::ops::Range;

use pulldown_cmark::{Event, Tag};

use super::{Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question};

#[derive(Debug, Default)]
pub(crate) struct Comments {
    /// Where the open front's text starts (after its marker) and where its marker is.
    front: Option<(usize, usize)>,
    sections: Sections,
    cards: Cards,
    /// The marker comments' lines, none of which is content.
    cuts: Vec<Range<usize>>,
}

/// What a marker comment says.
#[derive(Debug, PartialEq, Eq)]
enum Marker {
    Front,
    Back,
    Tags(Vec<String>),
    /// Any other `<!-- word … -->` comment on a line of its own (`type: basic`, `options`).
    Other,
}

impl Extractor for Comments {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        match event {
            Event::Html(html) => {
                let Some(marker) = marker(html) else {
                    return;
                };
                self.cuts.push(super::clutter::whole_lines(walk.src, range));
                self.marker(walk.src, marker, range);
            }
            Event::Rule if walk.top_level() => self.end(walk.src, range.start),
            Event::Start(Tag::Heading { .. }) if walk.top_level() => {
                self.end(walk.src, range.start)
            }
            _ => {}
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        if heading.top_level {
            self.sections.heading(heading.level, &heading.text);
        }
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        self.end(walk.src, walk.src.len());
        let title = self.sections.title.take();
        let cuts = std::mem::take(&mut self.cuts);
        let mut found = std::mem::take(&mut self.cards).finish(walk.src.len(), title);
        found.cuts = cuts;
        found
    }
}

impl Comments {
    fn marker(&mut self, src: &str, marker: Marker, range: &Range<usize>) {
        match marker {
            Marker::Front => {
                self.end(src, range.start);
                self.front = Some((range.end, range.start));
            }
            Marker::Back => {
                let Some((start, at)) = self.front.take() else {
                    return;
                };
                self.open(src, at, start..range.start, range.end..src.len());
            }
            Marker::Tags(tags) => {
                // The tags belong to the card they close, answered or not.
                if self.front.is_some() {
                    self.end(src, range.start);
                }
                if let Some(card) = self.cards.open.as_mut() {
                    for tag in tags {
                        if !card.question.tags.contains(&tag) {
                            card.question.tags.push(tag);
                        }
                    }
                } else if let Some(card) = self.cards.done.last_mut() {
                    if card.answer.end == card.answer.start {
                        card.question.tags.extend(tags);
                    }
                }
                self.cards.close(range.start);
            }
            Marker::Other => {}
        }
    }

    /// Ends the open card at `at`; a front still waiting for its back becomes a question
    /// without an answer, which is reported.
    fn end(&mut self, src: &str, at: usize) {
        if let Some((start, marker)) = self.front.take() {
            self.open(src, marker, start..at, at..at);
        }
        self.cards.close(at);
    }

    fn open(&mut self, src: &str, at: usize, front: Range<usize>, answer: Range<usize>) {
        let text = without_comments(&src[front]);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        // The first paragraph is the question; what follows it (options, an image) stays on
        // the front with it.
        let (first, rest) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut question = clean_question(first, None);
        if !rest.trim().is_empty() {
            question.text = format!("{}\n\n{}", question.text, options(rest.trim()));
        }
        self.sections.seen_question = true;
        self.cards.open(RawCard {
            question,
            at,
            section: self.sections.path(),
            answer: answer.clone(),
            dedent: 0,
        });
        if answer.is_empty() {
            self.cards.close(answer.end);
        }
    }
}

/// The marker an HTML block line holds, when it is one comment and nothing else.
fn marker(html: &str) -> Option<Marker> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    if inner.contains("-->") {
        return None;
    }
    let lower = inner.to_lowercase();
    let word = lower.trim_end_matches(':').trim();
    Some(match word {
        "front" | "question" | "q" | "card front" => Marker::Front,
        "back" | "answer" | "a" | "card back" => Marker::Back,
        _ => match lower.strip_prefix("tags:") {
            Some(tags) => Marker::Tags(
                tags.split(',')
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join("_"))
                    .filter(|t| !t.is_empty())
                    .collect(),
            ),
            None => Marker::Other,
        },
    })
}

/// The front's blocks after the question, with a paragraph of one option a line (`Helium`,
/// `Neon`, …) written as a list: as a paragraph its lines would run into one.
fn options(blocks: &str) -> String {
    blocks
        .split("\n\n")
        .map(|block| {
            let lines: Vec<&str> = block.lines().map(str::trim).collect();
            let plain = lines.len() > 1
                && lines.iter().all(|l| {
                    !l.is_empty()
                        && !l.starts_with(['-', '*', '+', '|', '!', '`', '~', '<', '#', '>'])
                        && !l.starts_with(|c: char| c.is_ascii_digit())
                });
            if plain {
                lines
                    .iter()
                    .map(|l| format!("- {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                block.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `text` without its `<!-- … -->` comments (`Nitrogen <!-- correct -->`).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        match rest[at..].find("-->") {
            Some(end) => rest = &rest[at + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // A line that held only a comment leaves no blank-looking line behind.
    let mut lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    lines.dedup_by(|a, b| a.is_empty() && b.is_empty());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_whatever_their_case_and_spacing() {
        assert_eq!(marker("<!-- front -->\n"), Some(Marker::Front));
        assert_eq!(marker("<!--BACK-->"), Some(Marker::Back));
        assert_eq!(marker("<!-- Answer: -->"), Some(Marker::Back));
        assert_eq!(
            marker("<!-- tags: biology, cell membranes -->"),
            Some(Marker::Tags(vec![
                "biology".to_string(),
                "cell_membranes".to_string()
            ]))
        );
        assert_eq!(marker("<!-- type: basic -->"), Some(Marker::Other));
        assert_eq!(marker("<div>"), None);
        assert_eq!(marker("<!-- a --> text <!-- b -->"), None);
    }

    #[test]
    fn one_option_a_line_becomes_a_list() {
        assert_eq!(options("Oak\nPine\nTulip"), "- Oak\n- Pine\n- Tulip");
        assert_eq!(
            options("![](a.png)\n\n1. x\n2. y"),
            "![](a.png)\n\n1. x\n2. y"
        );
        assert_eq!(options("One line only"), "One line only");
    }

    #[test]
    fn comments_leave_the_front() {
        assert_eq!(
            without_comments("Which gas?\n\n<!-- options -->\nNeon\nNitrogen <!-- correct -->"),
            "Which gas?\n\nNeon\nNitrogen"
        );
    }
}
