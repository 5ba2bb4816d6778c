//! Questions and answers announced by a block that is nothing but a label: a `**Question**`
//! or `__Practice Question__` paragraph, or a `##### Question 1:` heading, then the question's
//! blocks (its text, code and options), then an `**Answer**` / `__Suggested Answers__` /
//! `##### Answer:` block, then the answer up to the next question label, a heading or `---`.

use std::ops::Range;

use pulldown_cmark::{Event, TagEnd};

use super::{Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Question,
    Answer,
}

#[derive(Debug, Default)]
pub(crate) struct LabelBlocks {
    /// A question label read: (where it starts, where the question's blocks start).
    pending: Option<(usize, usize)>,
    /// Question labels no answer label followed: (where, the question's first line, why).
    dropped: Vec<(usize, String, &'static str)>,
    sections: Sections,
    cards: Cards,
}

impl Extractor for LabelBlocks {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        match event {
            Event::End(TagEnd::Paragraph) if walk.top_level() => {
                let text = walk.src[range.clone()].trim();
                let bold = ["**", "__"]
                    .iter()
                    .any(|m| text.starts_with(m) && text.ends_with(m) && text.len() > 4);
                if let Some(label) = label(text).filter(|_| bold || text.ends_with(':')) {
                    self.label(walk.src, label, range);
                }
            }
            Event::Rule if walk.top_level() => {
                self.abandon(walk.src);
                self.cards.close(range.start);
            }
            _ => {}
        }
    }

    fn heading(&mut self, walk: &Walk<'_>, heading: &Heading) {
        if !heading.top_level {
            return;
        }
        match label(&heading.text) {
            Some(found) => self.label(walk.src, found, &heading.range),
            None => {
                self.abandon(walk.src);
                self.cards.close(heading.range.start);
                self.sections.heading(heading.level, &heading.text);
            }
        }
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        self.abandon(walk.src);
        let title = self.sections.title.take();
        let mut found = std::mem::take(&mut self.cards).finish(walk.src.len(), title);
        found.dropped = std::mem::take(&mut self.dropped);
        found
    }
}

impl LabelBlocks {
    /// A question label whose answer label never came: named by a warning, not a card.
    fn abandon(&mut self, src: &str) {
        let Some((at, start)) = self.pending.take() else {
            return;
        };
        let first = src[start..]
            .trim_start()
            .lines()
            .next()
            .unwrap_or("")
            .trim();
        if !first.is_empty() {
            self.dropped.push((
                at,
                first.to_string(),
                "question label with no answer label after it; no card was made",
            ));
        }
    }

    fn label(&mut self, src: &str, label: Label, block: &Range<usize>) {
        // A heading's range takes its line break, a paragraph's does not.
        let after = if src[..block.end].ends_with('\n') {
            block.end
        } else {
            src[block.end..]
                .find('\n')
                .map_or(src.len(), |i| block.end + i + 1)
        };
        match label {
            Label::Question => {
                self.abandon(src);
                self.cards.close(block.start);
                self.pending = Some((block.start, after));
            }
            Label::Answer => {
                let Some((at, start)) = self.pending.take() else {
                    return;
                };
                let body = src[start..block.start.max(start)].trim();
                let (first, rest) = body.split_once("\n\n").unwrap_or((body, ""));
                let mut question = clean_question(first, None);
                if !rest.trim().is_empty() {
                    question.text = format!("{}\n\n{}", question.text, rest.trim());
                }
                if question.text.is_empty() {
                    return;
                }
                self.sections.seen_question = true;
                self.cards.open(RawCard {
                    question,
                    at,
                    section: self.sections.path(),
                    answer: after.min(src.len())..src.len(),
                    dedent: 0,
                });
            }
        }
    }
}

/// Whether `text` is only a label: `Question`, `Question 3:`, `Q1`, `Practice Question`,
/// `Pregunta`, `问题 2` (a question) or `Answer:`, `Suggested Answers`, `Solution`, `答案`.
fn label(text: &str) -> Option<Label> {
    let text = text
        .trim()
        .trim_matches(|c: char| matches!(c, '*' | '_' | '#'))
        .trim()
        .trim_end_matches([':', '：', '.'])
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '#')
        .trim()
        .to_lowercase();
    const QUESTIONS: [&str; 12] = [
        "question",
        "q",
        "pregunta",
        "pergunta",
        "frage",
        "domanda",
        "vraag",
        "quiz question",
        "问题",
        "题目",
        "問題",
        "질문",
    ];
    const ANSWERS: [&str; 14] = [
        "answer",
        "answers",
        "solution",
        "solutions",
        "respuesta",
        "resposta",
        "réponse",
        "antwort",
        "risposta",
        "antwoord",
        "答案",
        "参考答案",
        "解答",
        "답",
    ];
    const PREFIXES: [&str; 8] = [
        "practice ",
        "sample ",
        "review ",
        "suggested ",
        "correct ",
        "model ",
        "example ",
        "",
    ];
    let strip = |words: &[&str]| {
        PREFIXES.iter().any(|prefix| {
            text.strip_prefix(prefix)
                .is_some_and(|rest| words.contains(&rest.trim()))
        })
    };
    if strip(&QUESTIONS) {
        Some(Label::Question)
    } else if strip(&ANSWERS) {
        Some(Label::Answer)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_alone_and_not_sentences() {
        for question in [
            "**Question**",
            "Question 1:",
            "__Practice Question__",
            "Q1",
            "问题 2：",
        ] {
            assert_eq!(label(question), Some(Label::Question), "{question}");
        }
        for answer in [
            "Answer:",
            "__Suggested Answers__",
            "**Solution**",
            "参考答案",
        ] {
            assert_eq!(label(answer), Some(Label::Answer), "{answer}");
        }
        for other in [
            "Question everything",
            "Answers to common issues",
            "Quiz",
            "**Note**",
        ] {
            assert_eq!(label(other), None, "{other}");
        }
    }
}
