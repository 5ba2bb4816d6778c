//! Cleans a question's text of what is not the question: its number, a trailing `[src]` link
//! (kept as the card's source), difficulty emoji (kept as tags) and wrapping bold.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::source::markdown::{collapse_whitespace, parser_options};

/// A question split into its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QuestionParts {
    /// Inline Markdown, whitespace collapsed.
    pub text: String,
    pub number: Option<u32>,
    pub source_link: Option<String>,
    pub tags: Vec<String>,
    /// Marked to make the reverse card too (`Question:::Answer`, a `??` line).
    pub reversed: bool,
}

/// Emoji authors use to rate difficulty, and the tag each becomes.
const DIFFICULTY: [(char, &str); 8] = [
    ('👶', "easy"),
    ('🟢', "easy"),
    ('⭐', "medium"),
    ('🌟', "medium"),
    ('🟡', "medium"),
    ('🚀', "expert"),
    ('🔥', "hard"),
    ('🔴', "hard"),
];

/// Link texts that mark a link as the question's source rather than part of it.
const SOURCE_WORDS: [&str; 6] = ["src", "source", "ref", "reference", "link", "credit"];

/// Splits `markdown` (a question as written) into its parts. `number` is a number already
/// known from the list item holding the question.
pub(crate) fn clean_question(markdown: &str, number: Option<u32>) -> QuestionParts {
    let text = collapse_whitespace(markdown);
    let text = strip_anchors(&text);
    let text = strip_attributes(&text);
    let (prefix_number, rest) = strip_number(strip_label(text));
    let (rest, tags) = strip_difficulty(rest);
    let rest = strip_bullet_symbol(&rest).to_string();
    let (rest, source_link) = strip_source_link(&rest);
    let (rest, more_tags) = strip_difficulty(&rest);
    let mut tags = tags;
    for tag in more_tags {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let (rest, hashtags) = strip_hashtags(rest.trim());
    for tag in hashtags {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let text = unwrap_bold(rest).trim().to_string();
    QuestionParts {
        text,
        number: number.or(prefix_number),
        source_link,
        tags,
        reversed: false,
    }
}

/// Whether `question` reads like a question: it ends with `?`, is numbered, or opens with an
/// interrogative or an exam-style instruction ("Explain …").
pub(crate) fn question_like(question: &str, numbered: bool) -> bool {
    if numbered || ends_with_question_mark(question) {
        return true;
    }
    const OPENERS: [&str; 37] = [
        "what",
        "why",
        "how",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "is",
        "are",
        "can",
        "could",
        "do",
        "does",
        "did",
        "should",
        "would",
        "will",
        "have",
        "has",
        "explain",
        "describe",
        "define",
        "compare",
        "implement",
        "write",
        "list",
        "name",
        "give",
        "discuss",
        "design",
        "create",
        "talk",
        "tell",
        "contrast",
        "outline",
    ];
    let first: String = question
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    OPENERS.contains(&first.as_str())
        || OTHER_OPENERS.contains(&first.as_str())
        || SLAVIC_DUTCH_OPENERS.contains(&first.as_str())
        || asks_in_chinese(question)
        || asks_in_korean_or_japanese(question)
}

/// Question words and exam instructions that open a question in Russian, Polish and Dutch
/// (`Что такое …`, `Объясните …`, `Wyjaśnij …`, `Waarom …`).
const SLAVIC_DUTCH_OPENERS: [&str; 39] = [
    "что",
    "как",
    "какой",
    "какая",
    "какое",
    "какие",
    "каково",
    "почему",
    "зачем",
    "когда",
    "где",
    "кто",
    "чем",
    "объясните",
    "объясни",
    "опишите",
    "опиши",
    "расскажите",
    "назовите",
    "сравните",
    "co",
    "jak",
    "jaki",
    "jakie",
    "dlaczego",
    "kiedy",
    "gdzie",
    "który",
    "wyjaśnij",
    "opisz",
    "wat",
    "waarom",
    "hoe",
    "wanneer",
    "welke",
    "wie",
    "leg",
    "beschrijf",
    "noem",
];

/// Question words that open a question in French, Spanish, Portuguese, Italian and German
/// (`Est-ce que …`, `Qué es …`, `Wie …`): headings are often written without the `?`.
const OTHER_OPENERS: [&str; 53] = [
    "cuéntame",
    "dime",
    "háblame",
    "conte",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "comment",
    "pourquoi",
    "quand",
    "combien",
    "qui",
    "où",
    "est",
    "qué",
    "que",
    "cómo",
    "cuál",
    "cuáles",
    "cuándo",
    "dónde",
    "quién",
    "explica",
    "describe",
    "qual",
    "quais",
    "como",
    "quando",
    "onde",
    "quem",
    "explique",
    "descreva",
    "cosa",
    "come",
    "perché",
    "quale",
    "quali",
    "dove",
    "chi",
    "spiega",
    "was",
    "wie",
    "warum",
    "wann",
    "wo",
    "welche",
    "welcher",
    "welches",
    "wer",
    "erkläre",
    "erklären",
    "beschreibe",
];

/// Chinese questions need no `？`: `Static Nested Class 和 Inner Class的不同`,
/// `给我一个…`, `谈谈 final 与 finally`. Only text that holds ideographs is looked at.
fn asks_in_chinese(text: &str) -> bool {
    const MARKERS: [&str; 25] = [
        "什么",
        "是否",
        "如何",
        "怎么",
        "怎样",
        "为什么",
        "为何",
        "区别",
        "不同",
        "哪些",
        "哪个",
        "有没有",
        "能不能",
        "可不可以",
        "吗",
        "谈谈",
        "说说",
        "说出",
        "描述",
        "解释",
        "简述",
        "介绍",
        "给我",
        "举例",
        "请",
    ];
    text.contains(is_ideograph) && MARKERS.iter().any(|m| text.contains(m))
}

/// Korean and Japanese interview questions are often polite requests ending with `。` or `.`
/// rather than a question mark: `…을 설명해주세요.` (please explain …), `…について説明してください`.
/// Only text in Hangul or kana is looked at, and only for the request and question endings.
fn asks_in_korean_or_japanese(text: &str) -> bool {
    const KOREAN: [&str; 12] = [
        "설명해",
        "알려주",
        "말해주",
        "말씀해",
        "무엇",
        "인가요",
        "는가요",
        "나요",
        "까요",
        "니까",
        "차이",
        "이유는",
    ];
    const JAPANESE: [&str; 10] = [
        "説明して",
        "教えて",
        "述べて",
        "答えて",
        "とは",
        "ですか",
        "ますか",
        "でしょうか",
        "違い",
        "なぜ",
    ];
    let hangul = text.chars().any(|c| matches!(c, '\u{AC00}'..='\u{D7A3}'));
    let kana = text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30FF}'));
    hangul && KOREAN.iter().any(|m| text.contains(m))
        || kana && JAPANESE.iter().any(|m| text.contains(m))
}

/// Whether the text ends with `?`, ignoring closing emphasis, quotes and brackets.
pub(crate) fn ends_with_question_mark(text: &str) -> bool {
    // `？（了解即可）`: a remark in brackets after the question mark.
    let text = text.trim_end();
    let text = match text.strip_suffix('）').and_then(|t| t.rsplit_once('（')) {
        Some((before, _)) => before,
        None => text,
    };
    text.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '*' | '_' | '`' | '"' | '\'' | ')' | ']' | '”' | '’')
    })
    .ends_with(['?', '？'])
}

/// Whether `c` is a CJK ideograph (Chinese, or kanji in Japanese).
pub(crate) fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// `12) Question`, `12. Question`, `Q12: Question` → (12, "Question").
fn strip_number(text: &str) -> (Option<u32>, &str) {
    let hashed = text
        .strip_prefix('#')
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    let body = text
        .strip_prefix('Q')
        .or_else(|| text.strip_prefix('q'))
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .or(hashed)
        .unwrap_or(text);
    let digits = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    if digits == 0 || digits > 6 {
        return (None, text);
    }
    let after = &body[digits..];
    // `#12 Question`: a number sign needs no separator after the number.
    if hashed.is_some() && after.starts_with(char::is_whitespace) {
        return (body[..digits].parse().ok(), after.trim_start());
    }
    let after = after.strip_prefix('\\').unwrap_or(after);
    // `17a.` (a question added between 17 and 18) and `42 .` (a space before the dot); `17a.`
    // has no number of its own, as it would read as a repeat of 17.
    let (after, lettered) = match after.as_bytes() {
        [b'a'..=b'z', b'.' | b')', ..] => (&after[1..], true),
        [b' ', b'.' | b')', b' ', ..] => (&after[1..], false),
        _ => (after, false),
    };
    // `36一个…`: a number run straight into Chinese text (no separator) is a number too.
    if after.starts_with(is_ideograph) {
        return (body[..digits].parse().ok(), after);
    }
    // `1、` and `1．` (Chinese and Japanese enumeration) need no space after them.
    if let Some(rest) = after.strip_prefix(['、', '．', '）', '：']) {
        return (body[..digits].parse().ok(), rest.trim_start());
    }
    let Some(rest) = after
        .strip_prefix(['.', ')', ':'])
        .or_else(|| after.strip_prefix(" -"))
        .or_else(|| after.strip_prefix(" –"))
    else {
        return (None, text);
    };
    // `1.What is …` (no space) is a number too; `3.14 …` and `1.5x` are not.
    let run_on = after.starts_with('.') && rest.starts_with(|c: char| c.is_alphabetic());
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace) || run_on) {
        return (None, text);
    }
    let number = body[..digits].parse().ok().filter(|_| !lettered);
    (number, rest.trim_start())
}

/// Removes difficulty emoji from both ends, returning them as `difficulty::…` tags.
fn strip_difficulty(text: &str) -> (String, Vec<String>) {
    let mut tags = Vec::new();
    let is_joiner = |c: char| c.is_whitespace() || matches!(c, '\u{200d}' | '\u{fe0f}');
    let mut rest = text;
    // `What …? ⭐️I`: a single letter typed right after a difficulty emoji is a slip.
    let mut chars = rest.chars().rev();
    if let (Some(letter), Some(before)) = (chars.next(), chars.next()) {
        let emoji_before = before == '\u{fe0f}' || DIFFICULTY.iter().any(|(e, _)| *e == before);
        if letter.is_ascii_alphabetic() && emoji_before {
            rest = &rest[..rest.len() - 1];
        }
    }
    loop {
        let trimmed = rest.trim_end_matches(is_joiner);
        let Some(last) = trimmed.chars().next_back() else {
            rest = trimmed;
            break;
        };
        match DIFFICULTY.iter().find(|(emoji, _)| *emoji == last) {
            Some((_, level)) => {
                let tag = format!("difficulty::{level}");
                if !tags.contains(&tag) {
                    tags.insert(0, tag);
                }
                rest = &trimmed[..trimmed.len() - last.len_utf8()];
            }
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    loop {
        let trimmed = rest.trim_start_matches(is_joiner);
        let Some(first) = trimmed.chars().next() else {
            rest = trimmed;
            break;
        };
        match DIFFICULTY.iter().find(|(emoji, _)| *emoji == first) {
            Some((_, level)) => {
                let tag = format!("difficulty::{level}");
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
                rest = &trimmed[first.len_utf8()..];
            }
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    (rest.to_string(), tags)
}

/// Removes a trailing `[[src](url)]`, `[[src]](url)` or `([source](url))` link.
pub(crate) fn strip_source_link(text: &str) -> (String, Option<String>) {
    // Parsing the question costs more than the rest of reading it; most have no link at all.
    if !text.contains("](") {
        return (text.to_string(), None);
    }
    let mut last: Option<(usize, usize, String, String)> = None;
    let mut open: Option<(usize, String, String, usize)> = None;
    for (event, range) in Parser::new_ext(text, parser_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) if open.is_none() => {
                open = Some((range.start, dest_url.to_string(), String::new(), 0));
            }
            Event::Start(_) => {
                if let Some((_, _, _, depth)) = &mut open {
                    *depth += 1;
                }
            }
            Event::End(TagEnd::Link) if open.as_ref().is_some_and(|o| o.3 == 0) => {
                let (start, url, label, _) = open.take().unwrap_or_default();
                last = Some((start, range.end, url, label));
            }
            Event::End(_) => {
                if let Some((_, _, _, depth)) = &mut open {
                    *depth = depth.saturating_sub(1);
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, label, _)) = &mut open {
                    label.push_str(&t);
                }
            }
            _ => {}
        }
    }
    let Some((start, end, url, label)) = last else {
        return (text.to_string(), None);
    };
    let word = label
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')'))
        .to_lowercase();
    let tail_is_clutter = text[end..]
        .chars()
        .all(|c| c.is_whitespace() || matches!(c, ']' | ')'));
    if !SOURCE_WORDS.contains(&word.as_str()) || !tail_is_clutter || url.is_empty() {
        return (text.to_string(), None);
    }
    let before =
        text[..start].trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '[' | '('));
    (before.trim_end().to_string(), Some(url))
}

/// A decorative symbol before a question (`🔹 What is X?`, `▶ Why?`): emoji and dingbats,
/// never letters, digits, quotes, brackets or Markdown.
fn strip_bullet_symbol(text: &str) -> &str {
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let decorative = !first.is_alphanumeric()
            && (first as u32) >= 0x2000
            && !matches!(
                first,
                '¿' | '¡' | '「' | '『' | '（' | '“' | '‘' | '【' | '《'
            )
            && !first.is_whitespace();
        if !decorative {
            break;
        }
        rest = rest[first.len_utf8()..]
            .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{fe0f}');
    }
    if rest.is_empty() { text } else { rest }
}

/// A `Q.` / `Q:` / `Ques.` label before a question (`## Q. What is X?`).
/// Whether `text` opens with a question label (`Q: `, `Q. `, `Question: `): whatever follows
/// is a question, even `Q: {{PLACEHOLDER}}` in a template.
pub(crate) fn has_question_label(text: &str) -> bool {
    let text = text.trim_start_matches(['*', '_']).trim_start();
    strip_label(text).len() != text.len()
}

fn strip_label(text: &str) -> &str {
    if let Some(numbered) = numbered_label(text) {
        return numbered;
    }
    for label in ["Q. ", "Q: ", "Q.", "Ques. ", "Ques: ", "Question: "] {
        if let Some(rest) = text.strip_prefix(label) {
            let rest = rest.trim_start();
            if !rest.is_empty() {
                return rest;
            }
        }
    }
    colon_label(text).unwrap_or(text)
}

/// Letters that stand for "question" before a colon in the languages FAQs are written in:
/// `P:` pregunta/pergunta, `D1:` domanda, `F:` Frage, `В:` вопрос, `S:` soru, `V:` vraag.
const LETTER_LABELS: [char; 7] = ['Q', 'P', 'D', 'F', 'В', 'S', 'V'];

/// `P: ¿Qué …?`, `D1: "Costa?"`, `Pregunta: …`: the text after a question label that ends in a
/// colon, with or without a number. Only a capital letter or a question word followed by a
/// colon and a space counts, so `D: drive` in prose is rare enough to risk.
fn colon_label(text: &str) -> Option<&str> {
    let first = text.chars().next()?;
    let head: String = text.chars().take(12).collect::<String>().to_lowercase();
    let word = NUMBERED_LABELS[..NUMBERED_WORDS]
        .iter()
        .filter(|w| w.chars().count() > 1 && head.starts_with(*w))
        .max_by_key(|w| w.len());
    // Lowercasing keeps these words' byte lengths, so the offset holds in `text`.
    let word_len = match word {
        Some(word) => word.len(),
        None if LETTER_LABELS.contains(&first) => first.len_utf8(),
        None => return None,
    };
    let rest = text.get(word_len..)?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    let after = rest.trim_start();
    (after.len() < rest.len() && !after.is_empty()).then_some(after)
}

/// Words that label a numbered question (`Question 3.`, `Pregunta 2:`, `Frage #4`, `问题 5`).
/// The first [`NUMBERED_WORDS`] mean "question" and label one before a colon too; `problem`
/// and `exercise` only do with a number (`### Problem: the build fails` is a statement).
const NUMBERED_LABELS: [&str; 17] = [
    "question",
    "ques",
    "q",
    "pregunta",
    "pergunta",
    "questão",
    "questao",
    "frage",
    "domanda",
    "vraag",
    "вопрос",
    "soru",
    "질문",
    "问题",
    "題",
    "problem",
    "exercise",
];
const NUMBERED_WORDS: usize = 15;

/// `Question 3. What …`: the text from the number on, so the number is read as a number.
fn numbered_label(text: &str) -> Option<&str> {
    let head = text
        .char_indices()
        .nth(12)
        .map_or(text, |(at, _)| &text[..at]);
    let lower = head.to_lowercase();
    let word = NUMBERED_LABELS
        .iter()
        .filter(|w| lower.starts_with(*w))
        .max_by_key(|w| w.len())?;
    // Lowercasing keeps these words' byte lengths, so the offset holds in `text`.
    let rest = text.get(word.len()..)?;
    let rest = rest.trim_start_matches([' ', '#', '\u{a0}']);
    let rest = rest
        .strip_prefix("No.")
        .or_else(|| rest.strip_prefix("Nº"))
        .unwrap_or(rest)
        .trim_start();
    // `Question 3 asks …` or `Q3D` is no label: the number must be one.
    (strip_number(rest).1.len() < rest.len()).then_some(rest)
}

/// In-page anchors around or inside a question: `<a href="#q">Question</a>` keeps its text,
/// an empty `<a name="q"></a>` goes.
/// `Question ? {#question-id}`: the heading attributes Pandoc and kramdown write after a heading.
fn strip_attributes(text: &str) -> &str {
    let trimmed = text.trim_end();
    match trimmed.rfind(" {") {
        Some(at)
            if trimmed.ends_with('}')
                && trimmed[at + 2..].starts_with(['#', '.'])
                && !trimmed[at + 2..trimmed.len() - 1].contains(['{', '}']) =>
        {
            trimmed[..at].trim_end()
        }
        _ => text,
    }
}

fn strip_anchors(text: &str) -> String {
    if !text.contains("<a") && !text.contains("</a>") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Only in-page anchors go; a link elsewhere is content (and the sanitiser's business).
    let mut open = 0;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find('>');
        let tag = end.map_or("", |end| &tail[..=end]);
        let in_page = tag.starts_with("<a ")
            && (tag.contains("href=\"#")
                || !tag.contains("href") && (tag.contains("name=") || tag.contains("id=")));
        let closing = tag == "</a>" && open > 0;
        match end.filter(|_| in_page || closing) {
            Some(end) => {
                if in_page {
                    open += 1;
                } else {
                    open -= 1;
                }
                rest = &tail[end + 1..];
            }
            None => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    collapse_whitespace(&out)
}

/// `#tag` words after a question's text (`**What is X?** #docker`), returned as tags.
fn strip_hashtags(text: &str) -> (&str, Vec<String>) {
    let original = text;
    let mut text = text.trim_end();
    let mut tags = Vec::new();
    while let Some((before, last)) = text.rsplit_once(' ') {
        // `#1` is no tag (Obsidian), but earlier releases cut it from the question, and the
        // question's text is its identity: it is still cut, and dropped.
        let number = last.len() > 1
            && last.starts_with('#')
            && last[1..].bytes().all(|b| b.is_ascii_digit());
        match crate::source::tags::hashtag(last) {
            Some(tag) => tags.push(tag),
            None if number => {}
            None => break,
        }
        text = before.trim_end();
    }
    tags.reverse();
    // Only after a whole question: `Is C# fun?` and `Use #include` keep their hashes.
    if text.len() == original.trim_end().len()
        || !(ends_with_question_mark(text) || text.ends_with("**"))
    {
        return (original, Vec::new());
    }
    (text, tags)
}

/// `**Question?**` → `Question?` when the bold wraps everything.
fn unwrap_bold(text: &str) -> &str {
    if let Some(inner) = text
        .strip_prefix("***")
        .and_then(|rest| rest.strip_suffix("***"))
        .filter(|inner| !inner.contains('*') && !inner.is_empty())
    {
        return inner;
    }
    for marker in ["**", "__"] {
        if let Some(inner) = text
            .strip_prefix(marker)
            .and_then(|rest| rest.strip_suffix(marker))
        {
            if !inner.contains(marker) && !inner.is_empty() {
                return inner;
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_without_a_space_and_heading_attributes_come_off() {
        let parts = clean_question("1.What is JavaScript?", None);
        assert_eq!(
            (parts.number, parts.text.as_str()),
            (Some(1), "What is JavaScript?")
        );
        let parts = clean_question("36一个进程可以有几个线程？", None);
        assert_eq!(
            (parts.number, parts.text.as_str()),
            (Some(36), "一个进程可以有几个线程？")
        );
        let parts = clean_question("3.14 is close to pi", None);
        assert_eq!(
            (parts.number, parts.text.as_str()),
            (None, "3.14 is close to pi")
        );
        let parts = clean_question("Quand le RGPD s'applique-t-il ? {#quand-rgpd}", None);
        assert_eq!(parts.text, "Quand le RGPD s'applique-t-il ?");
        let parts = clean_question("Sets {a, b} and {c}", None);
        assert_eq!(parts.text, "Sets {a, b} and {c}");
        let parts = clean_question("#7 요즘 IT 트렌드는?", None);
        assert_eq!(
            (parts.number, parts.text.as_str()),
            (Some(7), "요즘 IT 트렌드는?")
        );
        let parts = clean_question("#7th place", None);
        assert_eq!((parts.number, parts.text.as_str()), (None, "#7th place"));
    }

    #[test]
    fn colon_labels_come_off_with_or_without_a_number() {
        for (question, text) in [
            ("P: ¿Qué es?", "¿Qué es?"),
            ("D1: \"Costa?\"", "\"Costa?\""),
            ("F: Wie lange?", "Wie lange?"),
            ("В: Что такое DOM?", "Что такое DOM?"),
            ("Pregunta: ¿Cuándo?", "¿Cuándo?"),
            ("Вопрос: Что это?", "Что это?"),
            // No space after the colon, a lower-case letter, a statement label: kept.
            ("D:drive is full?", "D:drive is full?"),
            ("p: why?", "p: why?"),
            ("Problem: the build fails", "Problem: the build fails"),
            ("Pizza: how long?", "Pizza: how long?"),
        ] {
            assert_eq!(clean_question(question, None).text, text, "{question}");
        }
    }

    #[test]
    fn numbered_labels_come_off_in_several_languages() {
        for (question, number, text) in [
            (
                "Question 12. What is a closure?",
                Some(12),
                "What is a closure?",
            ),
            ("Pregunta 3: ¿Qué es?", Some(3), "¿Qué es?"),
            ("Frage #4) Wie geht das?", Some(4), "Wie geht das?"),
            ("问题 5：什么是进程？", Some(5), "什么是进程？"),
            (
                "Question 3 asks for a proof",
                None,
                "Question 3 asks for a proof",
            ),
            ("Quebec 12. is a place", None, "Quebec 12. is a place"),
            ("Question 17a. What is hoisting?", None, "What is hoisting?"),
            ("42 . What is NaN?", Some(42), "What is NaN?"),
            ("3 .14 is pi", None, "3 .14 is pi"),
        ] {
            let parts = clean_question(question, None);
            assert_eq!((parts.number, parts.text.as_str()), (number, text));
        }
    }

    #[test]
    fn questions_without_a_question_mark_in_other_languages() {
        for question in [
            "Static Nested Class 和 Inner Class的不同",
            "给我一个你最常见到的 runtime exception",
            "Est-ce que mon blog est concerné",
            "Cómo funciona el servicio",
            "Wie funktioniert das",
        ] {
            assert!(question_like(question, false), "{question}");
        }
        for question in [
            "Объясните разницу между cookie и localStorage.",
            "Что такое прогрессивный рендеринг",
            "Wyjaśnij różnicę",
            "Waarom werkt dit niet",
        ] {
            assert!(question_like(question, false), "{question}");
        }
        for statement in ["进程与线程", "Le casque est obligatoire", "Installation"] {
            assert!(!question_like(statement, false), "{statement}");
        }
    }

    #[test]
    fn numbers_source_links_and_emoji_are_split_off() {
        let parts = clean_question(
            "1) What's the trade-off between bias and variance? [[src](http://x.example/a)]",
            None,
        );
        assert_eq!(
            parts.text,
            "What's the trade-off between bias and variance?"
        );
        assert_eq!(parts.number, Some(1));
        assert_eq!(parts.source_link.as_deref(), Some("http://x.example/a"));

        let parts = clean_question(
            "65) Bayes vs frequentist? [[src]](https://k.example/b)",
            None,
        );
        assert_eq!(parts.text, "Bayes vs frequentist?");
        assert_eq!(parts.source_link.as_deref(), Some("https://k.example/b"));

        let parts = clean_question("Possible approaches? \u{200d}⭐️🚀", None);
        assert_eq!(parts.text, "Possible approaches?");
        assert_eq!(parts.tags, vec!["difficulty::medium", "difficulty::expert"]);

        let parts = clean_question("What is supervised learning? 👶", Some(4));
        assert_eq!(parts.tags, vec!["difficulty::easy"]);
        assert_eq!(parts.number, Some(4));
    }

    #[test]
    fn ordinary_links_and_numbers_stay() {
        let parts = clean_question("How does [CBIR](https://c.example) work?", None);
        assert_eq!(parts.text, "How does [CBIR](https://c.example) work?");
        assert_eq!(parts.source_link, None);
        assert_eq!(clean_question("3.5 ways to win?", None).number, None);
        assert_eq!(clean_question("2020 was a year?", None).number, None);
        assert_eq!(clean_question("Q12: What?", None).number, Some(12));
        assert_eq!(clean_question("**What is X?**", None).text, "What is X?");
        assert_eq!(
            clean_question("Q. ***What is X?***", None).text,
            "What is X?"
        );
        assert_eq!(
            clean_question("Q. <a href=\"#b\">What is a Buffer?</a>", None).text,
            "What is a Buffer?"
        );
        assert_eq!(
            clean_question("What is <a href=\"https://x.example\">this</a>?", None).text,
            "What is <a href=\"https://x.example\">this</a>?"
        );
        assert_eq!(
            clean_question("<a name=\"q1\"></a>What is X?", None).text,
            "What is X?"
        );
        assert_eq!(clean_question("**Why?** #perf #ops", None).text, "Why?");
        assert_eq!(clean_question("Is C# fun? #1", None).text, "Is C# fun?");
        assert!(ends_with_question_mark("什么是自动装箱？（了解即可）"));
        assert_eq!(clean_question("🔹 What is X?", None).text, "What is X?");
        assert_eq!(clean_question("¿Qué es X?", None).text, "¿Qué es X?");
        let parts = clean_question("1、什么是进程？", None);
        assert_eq!(
            (parts.text.as_str(), parts.number),
            ("什么是进程？", Some(1))
        );
    }

    #[test]
    fn question_likeness() {
        assert!(question_like("What is X", false));
        assert!(question_like(
            "Implement a sparse matrix class in C++.",
            false
        ));
        assert!(question_like("Anything", true));
        assert!(question_like("`x` or `y`?", false));
        assert!(!question_like("Table of Contents", false));
        assert!(!question_like("State", false));
        assert!(!question_like("Example Usage", false));
        assert!(question_like(
            "뮤텍스와 세마포어의 차이를 설명해주세요.",
            false
        ));
        assert!(question_like("仮想メモリについて説明してください。", false));
        assert!(!question_like("설치 방법", false));
        assert!(!question_like("インストール手順", false));
    }
}
