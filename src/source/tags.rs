//! Tags the author writes in the file: front matter `tags:` and `#tags` ending an answer line,
//! merged into every card draft after the layouts have read it, so no layout needs to know them.
//!
//! What counts as a tag follows Obsidian, where most of these files are written: `#` at the
//! start of a word, then letters, digits, `_`, `-` and `/`, not all digits (`issue #42` keeps
//! its number). A `/` nests like Obsidian's `#nested/tag`, so it becomes Anki's `::`.

use crate::source::{CardDraft, FrontMatter};

/// The tag a `#word` names in Anki's spelling, if the word is a tag by Obsidian's rules.
pub(crate) fn hashtag(word: &str) -> Option<String> {
    tag_name(word.strip_prefix('#')?)
}

/// A tag name (without `#`) in Anki's spelling, if it is one.
fn tag_name(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/'))
        && !name.chars().all(|c| c.is_ascii_digit())
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("//");
    valid.then(|| name.replace('/', "::"))
}

/// The tags a front matter `tags:` (or `tag:`) value lists, as a YAML flow list (`[a, b]`), a
/// block list (`- a`), or a comma- or space-separated string, and the entries that are not tags.
pub(crate) fn front_matter_tags(front_matter: &FrontMatter) -> (Vec<String>, Vec<String>) {
    let Some(value) = front_matter.get("tags").or_else(|| front_matter.get("tag")) else {
        return (Vec::new(), Vec::new());
    };
    let inner = value.trim();
    let inner = inner
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(inner);
    let mut tags = Vec::new();
    let mut rejected = Vec::new();
    for entry in inner.split([',', ' ', '\t']) {
        let entry = entry.trim().trim_matches(['"', '\'']);
        if entry.is_empty() || entry == "-" {
            continue;
        }
        let name = entry.strip_prefix('#').unwrap_or(entry);
        match tag_name(name) {
            Some(tag) => push_unique(&mut tags, tag),
            None => rejected.push(entry.to_string()),
        }
    }
    (tags, rejected)
}

/// Adds the document's tags to every card and moves `#tags` ending answer lines out of the
/// answers into the cards' tags.
pub(crate) fn apply(document_tags: &[String], cards: &mut [CardDraft]) {
    for card in cards {
        let (answer, answer_tags) = strip_answer_tags(&card.answer);
        let mut tags = std::mem::take(&mut card.tags);
        for tag in document_tags.iter().chain(&answer_tags) {
            push_unique(&mut tags, tag.clone());
        }
        card.tags = tags;
        if let Some(answer) = answer {
            card.answer = answer;
        }
    }
}

/// Anki folds tag case, so `#ML` and `#ml` are one tag; the first spelling wins.
fn push_unique(tags: &mut Vec<String>, tag: String) {
    if !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
        tags.push(tag);
    }
}

/// The answer without the `#tags` that end its lines (`None` when it has none), and the tags.
/// Lines in fenced code and tags inside a code span stay as they are, and an answer that would
/// be left empty keeps its text: the tags are then its content.
fn strip_answer_tags(answer: &str) -> (Option<String>, Vec<String>) {
    if !answer.contains('#') {
        return (None, Vec::new());
    }
    let mut fence: Option<String> = None;
    let mut tags = Vec::new();
    let mut lines = Vec::new();
    for line in answer.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            }
            lines.push(line.to_string());
            continue;
        }
        if let Some(marker) = fence_marker(trimmed) {
            fence = Some(marker);
            lines.push(line.to_string());
            continue;
        }
        let (kept, found) = strip_line_tags(line);
        tags.extend(found);
        // A line that held only tags goes; a blank line stays, it separates paragraphs.
        let only_tags = kept.trim().is_empty() && !line.trim().is_empty();
        if !only_tags {
            lines.push(kept.to_string());
        }
    }
    let stripped = lines.join("\n").trim().to_string();
    if tags.is_empty() || stripped.is_empty() {
        return (None, Vec::new());
    }
    (Some(stripped), tags)
}

/// The run of backticks or tildes opening a fenced code block, if `line` opens one.
fn fence_marker(line: &str) -> Option<String> {
    let marker: String = line.chars().take_while(|&c| c == '`').collect();
    let marker = if marker.len() >= 3 {
        marker
    } else {
        line.chars().take_while(|&c| c == '~').collect()
    };
    (marker.len() >= 3).then_some(marker)
}

/// One line without the `#tags` that end it, and those tags in order. A line that is a
/// heading or indented code (four spaces) keeps its text.
pub(crate) fn strip_line_tags(line: &str) -> (&str, Vec<String>) {
    let heading = line.trim_start().starts_with("# ") || line.trim_start().starts_with("##");
    if heading || line.starts_with("    ") || line.starts_with('\t') {
        return (line, Vec::new());
    }
    let mut rest = line.trim_end();
    let mut tags = Vec::new();
    // Counted once and kept up to date as tags are cut, so a line of many tags stays linear.
    let mut backticks = rest.matches('`').count();
    loop {
        let (before, last) = match rest.rsplit_once([' ', '\t']) {
            Some(split) => split,
            None => ("", rest),
        };
        // A tag inside an unclosed code span is code, not a tag.
        let in_code = (backticks - last.matches('`').count()) % 2 == 1;
        match hashtag(last).filter(|_| !in_code) {
            Some(tag) => {
                tags.push(tag);
                backticks -= last.matches('`').count();
                rest = before.trim_end();
            }
            None => break,
        }
        if rest.is_empty() {
            break;
        }
    }
    tags.reverse();
    (rest, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(question: &str, answer: &str, tags: &[&str]) -> CardDraft {
        CardDraft {
            question: question.to_string(),
            answer: answer.to_string(),
            section: Vec::new().into(),
            number: None,
            line: 1,
            column: 1,
            explicit_id: None,
            source_link: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            kind: Default::default(),
        }
    }

    #[test]
    fn obsidian_rules_decide_what_is_a_tag() {
        assert_eq!(hashtag("#tag").as_deref(), Some("tag"));
        assert_eq!(hashtag("#nested/tag").as_deref(), Some("nested::tag"));
        assert_eq!(hashtag("#y2024_q-1").as_deref(), Some("y2024_q-1"));
        assert_eq!(hashtag("#é").as_deref(), Some("é"));
        for not_a_tag in [
            "#42", "#", "tag", "#a.b", "#a#b", "#/a", "#a/", "#a//b", "##a",
        ] {
            assert_eq!(hashtag(not_a_tag), None, "{not_a_tag}");
        }
    }

    #[test]
    fn front_matter_lists_and_strings() {
        let fm = |text: &str| front_matter_tags(&crate::source::frontmatter::parse(text));
        let flow = fm("---\ntags: [ml, \"deep/nets\", '#ops']\n---\n");
        assert_eq!(
            flow,
            (vec!["ml".into(), "deep::nets".into(), "ops".into()], vec![])
        );
        let block = fm("---\ntags:\n  - ml\n  - ops\n---\n");
        assert_eq!(block.0, ["ml", "ops"]);
        let flush = fm("---\ntags:\n- ml\n- ops\ntitle: T\n---\n");
        assert_eq!(flush.0, ["ml", "ops"]);
        let string = fm("---\ntag: ml, ops 2024 a.b\n---\n");
        assert_eq!(
            string,
            (
                vec!["ml".into(), "ops".into()],
                vec!["2024".into(), "a.b".into()]
            )
        );
        assert_eq!(fm("---\ntitle: x\n---\n"), (vec![], vec![]));
    }

    #[test]
    fn answer_line_tags_move_into_the_cards_tags() {
        let mut cards = [
            draft("Q?", "X is x. #ans/nested #b\n\nMore text #c", &["q"]),
            draft("Q2?", "See issue #42 and C# and `#x`.\n\n#only #tags", &[]),
            draft(
                "Q3?",
                "```sh\necho #notatag\n```\n\n    indented #code\n\n`a #b`",
                &[],
            ),
            draft("Q4?", "#just #tags", &[]),
            draft("Q5?", "Use #include here.", &[]),
        ];
        apply(&["doc".to_string(), "Q".to_string()], &mut cards);
        assert_eq!(cards[0].answer, "X is x.\n\nMore text");
        assert_eq!(cards[0].tags, ["q", "doc", "ans::nested", "b", "c"]);
        assert_eq!(cards[1].answer, "See issue #42 and C# and `#x`.");
        assert_eq!(cards[1].tags, ["doc", "Q", "only", "tags"]);
        assert_eq!(
            cards[2].answer,
            "```sh\necho #notatag\n```\n\n    indented #code\n\n`a #b`"
        );
        assert_eq!(cards[2].tags, ["doc", "Q"]);
        assert_eq!(cards[3].answer, "#just #tags", "an answer is never emptied");
        assert_eq!(cards[4].answer, "Use #include here.");
    }
}
