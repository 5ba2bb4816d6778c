//! Tables with a question column and an answer column: `| Question | Answer |`, one card per
//! row. The columns are found by their header (`Question`, `Q`, `Term`, `Pregunta`, `问题`, …
//! and `Answer`, `A`, `Definition`, `Respuesta`, `答案`, …); other columns (`#`, links) are
//! ignored, and a table without both columns holds no cards.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

use super::{Cards, Extractor, Found, Heading, RawCard, Sections, Walk, clean_question};

const QUESTION_HEADERS: [&str; 12] = [
    "question",
    "questions",
    "q",
    "term",
    "pregunta",
    "preguntas",
    "frage",
    "问题",
    "问",
    "題目",
    "質問",
    "concept",
];
const ANSWER_HEADERS: [&str; 13] = [
    "answer",
    "answers",
    "a",
    "definition",
    "meaning",
    "respuesta",
    "respuestas",
    "antwort",
    "答案",
    "答",
    "回答",
    "réponse",
    "explanation",
];

#[derive(Debug, Default)]
pub(crate) struct Table {
    in_head: bool,
    /// Header texts of the table being read.
    header: Vec<String>,
    /// (question column, answer column) once the header is read.
    columns: Option<(usize, usize)>,
    row: Vec<Range<usize>>,
    cell: Option<Range<usize>>,
    sections: Sections,
    cards: Cards,
}

impl Extractor for Table {
    fn event(&mut self, walk: &Walk<'_>, event: &Event<'_>, range: &Range<usize>) {
        match event {
            Event::Start(Tag::Table(_)) => {
                self.header.clear();
                self.columns = None;
            }
            Event::Start(Tag::TableHead) => self.in_head = true,
            Event::End(TagEnd::TableHead) => {
                self.in_head = false;
                self.columns = columns(&self.header);
            }
            Event::Start(Tag::TableRow) => self.row.clear(),
            Event::Start(Tag::TableCell) => self.cell = Some(range.clone()),
            Event::End(TagEnd::TableCell) => {
                let Some(cell) = self.cell.take() else {
                    return;
                };
                if self.in_head {
                    self.header.push(plain(&walk.src[cell]));
                } else {
                    self.row.push(cell);
                }
            }
            Event::End(TagEnd::TableRow) => self.row_card(walk.src),
            _ => {}
        }
    }

    fn heading(&mut self, _walk: &Walk<'_>, heading: &Heading) {
        if heading.top_level {
            self.sections.heading(heading.level, &heading.text);
        }
    }

    fn finish(mut self: Box<Self>, walk: &Walk<'_>) -> Found {
        let title = self.sections.title.take();
        std::mem::take(&mut self.cards).finish(walk.src.len(), title)
    }
}

impl Table {
    fn row_card(&mut self, src: &str) {
        let Some((q, a)) = self.columns else {
            return;
        };
        let (Some(question), Some(answer)) = (self.row.get(q), self.row.get(a)) else {
            return;
        };
        let text = trim_cell(src, question);
        if src[text.clone()].is_empty() {
            return;
        }
        let answer = trim_cell(src, answer);
        self.sections.seen_question = true;
        let number = self
            .row
            .first()
            .filter(|_| q > 0)
            .and_then(|cell| src[trim_cell(src, cell)].parse().ok());
        self.cards.open(RawCard {
            question: clean_question(&src[text.clone()], number),
            at: text.start,
            section: self.sections.path(),
            answer: answer.clone(),
            dedent: 0,
        });
        self.cards.close(answer.end);
    }
}

/// The question and answer columns a header names.
fn columns(header: &[String]) -> Option<(usize, usize)> {
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let question = find(&QUESTION_HEADERS)?;
    let answer = find(&ANSWER_HEADERS)?;
    (question != answer).then_some((question, answer))
}

/// A header cell's words, lowercase, without emphasis or punctuation around them.
fn plain(cell: &str) -> String {
    cell.trim_matches(|c: char| c.is_whitespace() || matches!(c, '|' | '*' | '_' | ':' | '`'))
        .to_lowercase()
}

/// A cell's range without its pipes and surrounding spaces.
fn trim_cell(src: &str, cell: &Range<usize>) -> Range<usize> {
    let text = &src[cell.clone()];
    let start = cell.start + (text.len() - text.trim_start_matches(['|', ' ', '\t']).len());
    let end = cell.end - (text.len() - text.trim_end_matches(['|', ' ', '\t']).len());
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_columns() {
        let header = |cells: &[&str]| cells.iter().map(|c| plain(c)).collect::<Vec<_>>();
        assert_eq!(
            columns(&header(&["#", "**Question**", "Answer"])),
            Some((1, 2))
        );
        assert_eq!(columns(&header(&["问题", "答案"])), Some((0, 1)));
        assert_eq!(columns(&header(&["Resource", "Why"])), None);
    }
}
