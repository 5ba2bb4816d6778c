//! Cloze deletions as authors write them: Anki's `{{c1::text}}` and `{{c1::text::hint}}`, and
//! the `==text==` shorthand, which becomes `{{c1::…}}`, `{{c2::…}}`, … in order. Found outside
//! code (a shorthand in code stays as written), so a note's kind is decided from its source.

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use super::markdown::parser_options;

/// The cloze numbers of a note's question and answer, each once and in order: one card each.
pub(crate) fn card_numbers(question: &str, answer: &str) -> Vec<u16> {
    let mut found = numbers(question);
    found.extend(numbers(answer));
    found.sort_unstable();
    found.dedup();
    found
}

/// A question and answer with their shorthand clozes written out, if either holds a cloze.
/// Shorthand numbers follow the highest explicit number of the note, question first.
pub(crate) fn expand(question: &str, answer: &str) -> Option<(String, String)> {
    // Most cards hold neither; they are not parsed again.
    if !may_hold_cloze(question) && !may_hold_cloze(answer) {
        return None;
    }
    let explicit = numbers(question).into_iter().chain(numbers(answer)).max();
    // Counted wide: an explicit `{{c65535::` is the largest number `numbers` reads.
    let mut next = u32::from(explicit.unwrap_or(0)) + 1;
    let question_marks = shorthands(question, &code_ranges(question));
    let answer_marks = shorthands(answer, &code_ranges(answer));
    if explicit.is_none() && question_marks.is_empty() && answer_marks.is_empty() {
        return None;
    }
    let question = write_out(question, &question_marks, &mut next);
    let answer = write_out(answer, &answer_marks, &mut next);
    Some((question, answer))
}

/// The distinct numbers of the clozes in `text` that are closed (`{{c2::…}}` gives 2), as
/// Anki reads them: an unclosed `{{c1::` or a `{{c0::` makes no card. Ascending.
pub(crate) fn numbers(text: &str) -> Vec<u16> {
    let math = math_ranges(text);
    let mut open: Vec<u32> = Vec::new();
    let mut found: Vec<u16> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        if inside(&math, at) {
            at += step(text, at);
        } else if let Some((number, length)) = opening(&text[at..]) {
            open.push(number);
            at += length;
        } else if text[at..].starts_with("}}") && !open.is_empty() {
            found.extend(
                open.pop()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|&n| n > 0),
            );
            at += 2;
        } else {
            at += step(text, at);
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// What is wrong with the clozes of `markdown`, for `check` and the build's warnings: an
/// opening never closed, the number 0, a shorthand inside code.
pub(crate) fn problems(markdown: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !may_hold_cloze(markdown) {
        return problems;
    }
    let skipped = code_ranges(markdown);
    let mut open: Vec<usize> = Vec::new();
    let mut at = 0;
    while at < markdown.len() {
        if inside(&skipped, at) {
            at += step(markdown, at);
            continue;
        }
        if let Some((number, length)) = opening(&markdown[at..]) {
            if number == 0 {
                problems.push(format!(
                    "`{}` is no cloze: cloze numbers start at 1 ({{{{c1::…}}}})",
                    &markdown[at..at + length]
                ));
            }
            open.push(at);
            at += length;
        } else if markdown[at..].starts_with("}}") && !open.is_empty() {
            open.pop();
            at += 2;
        } else {
            at += step(markdown, at);
        }
    }
    for start in open {
        let shown: String = markdown[start..].chars().take(24).collect();
        problems.push(format!(
            "cloze `{shown}…` is never closed with `}}}}`, so Anki shows it as text"
        ));
    }
    let marks = shorthands(markdown, &[]);
    let blocks = if marks.is_empty() {
        Vec::new()
    } else {
        code_only(markdown)
    };
    for range in marks {
        if inside(&blocks, range.start) {
            problems.push(format!(
                "`{}` is inside code, so it stays code and is no cloze; put `==…==` outside the \
                 code, or write {{{{c1::…}}}} there",
                &markdown[range]
            ));
        }
    }
    problems
}

/// `text` with cloze markup taken away (`{{c1::Paris::city}}` reads `Paris`): what a cloze
/// note's identity is keyed by, so adding, renumbering or hinting a cloze keeps the note.
pub(crate) fn plain(text: &str) -> String {
    shown(text, None, |_, _| String::new())
}

/// `text` as the front of cloze card `number` shows it outside Anki: that cloze as `[...]` (or
/// `[hint]`), every other cloze as its text.
pub(crate) fn hide(text: &str, number: u16) -> String {
    shown(text, Some(u32::from(number)), |_, hint| {
        format!("[{}]", hint.unwrap_or("..."))
    })
}

/// `html` as Anki's `{{cloze:…}}` shows it on card `number`: that cloze hidden on the front
/// (`[...]` or `[hint]`) and revealed on the back, both marked `class="cloze"`; the others as
/// their text. For the preview, which renders the templates itself.
pub(crate) fn render(html: &str, number: u16, back: bool) -> String {
    shown(html, Some(u32::from(number)), |content, hint| match back {
        true => format!("<span class=\"cloze\">{content}</span>"),
        false => format!("<span class=\"cloze\">[{}]</span>", hint.unwrap_or("...")),
    })
}

/// `text` with the clozes numbered `hidden` replaced by `hidden_as(content, hint)` and the
/// others as their text, hints left out.
fn shown(
    text: &str,
    hidden: Option<u32>,
    hidden_as: impl Fn(&str, Option<&str>) -> String,
) -> String {
    /// An open cloze: whether it is hidden, and where in the output it and its hint start.
    struct Open {
        hides: bool,
        start: usize,
        hint: Option<usize>,
    }
    // A `}}` inside math is the math's (Anki's own rendering is guarded by `guard_math`).
    let math = math_ranges(text);
    let mut out = String::with_capacity(text.len());
    let mut open: Vec<Open> = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        if inside(&math, at) {
            out.push(c);
            at += c.len_utf8();
        } else if let Some((number, length)) = opening(&text[at..]) {
            let hides = Some(number) == hidden && !open.iter().any(|o| o.hides);
            open.push(Open {
                hides,
                start: out.len(),
                hint: None,
            });
            at += length;
        } else if !open.is_empty() && text[at..].starts_with("}}") {
            let cloze = open.pop().expect("checked above");
            let end = cloze.hint.unwrap_or(out.len());
            if cloze.hides {
                let hint = cloze.hint.map(|h| out[h..].to_string());
                let replaced = hidden_as(
                    &out[cloze.start..end],
                    hint.as_deref().filter(|h| !h.is_empty()),
                );
                out.truncate(cloze.start);
                out.push_str(&replaced);
            } else {
                out.truncate(end);
            }
            at += 2;
        } else if open.last().is_some_and(|o| o.hint.is_none()) && text[at..].starts_with("::") {
            if let Some(last) = open.last_mut() {
                last.hint = Some(out.len());
            }
            at += 2;
        } else {
            out.push(c);
            at += c.len_utf8();
        }
    }
    out
}

/// What can make a paragraph outside every question a cloze card by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standalone {
    /// A closed `{{cN::…}}` outside code: a cloze wherever it stands.
    Anki,
    /// Only `==…==` shorthands, which may also be mere highlights.
    Shorthand,
}

/// Whether `markdown` (one paragraph) holds a closed cloze outside code, or else a shorthand.
pub(crate) fn standalone(markdown: &str) -> Option<Standalone> {
    if !may_hold_cloze(markdown) {
        return None;
    }
    // `{{c1::…}}` shown in code is an example of the syntax, not a cloze to study.
    let mut outside_code = markdown.to_string();
    for range in code_only(markdown) {
        outside_code.replace_range(range.clone(), &" ".repeat(range.len()));
    }
    if !numbers(&outside_code).is_empty() {
        Some(Standalone::Anki)
    } else if !shorthands(markdown, &code_ranges(markdown)).is_empty() {
        Some(Standalone::Shorthand)
    } else {
        None
    }
}

/// The byte ranges of the outermost `{{cN::…}}` clozes of `text` (an unclosed one runs to the
/// end), so a reader can leave their `::` alone.
pub(crate) fn spans(text: &str) -> Vec<Range<usize>> {
    let math = math_ranges(text);
    let mut spans = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    let mut at = 0;
    while at < text.len() {
        if inside(&math, at) {
            at += step(text, at);
        } else if let Some((_, length)) = opening(&text[at..]) {
            if depth == 0 {
                start = at;
            }
            depth += 1;
            at += length;
        } else if depth > 0 && text[at..].starts_with("}}") {
            depth -= 1;
            at += 2;
            if depth == 0 {
                spans.push(start..at);
            }
        } else {
            at += step(text, at);
        }
    }
    if depth > 0 {
        spans.push(start..text.len());
    }
    spans
}

/// Whether `text` may hold a cloze or a shorthand, cheaply, before it is parsed.
fn may_hold_cloze(text: &str) -> bool {
    text.contains("{{c") || text.contains("==")
}

/// The length of the character at byte `at` of `text`, to step to the next one.
fn step(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}

/// A cloze opening `{{cN::` at the start of `text`: its number and length.
fn opening(text: &str) -> Option<(u32, usize)> {
    let rest = text.strip_prefix("{{c")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !rest[digits..].starts_with("::") {
        return None;
    }
    let number = rest[..digits].parse().unwrap_or(u32::MAX);
    Some((number, 3 + digits + 2))
}

/// Whether `at` is in one of `ranges` (sorted and disjoint, as [`ranges_of`] gives them), in
/// logarithmic time: a long answer may hold many code spans and many `==`.
fn inside(ranges: &[Range<usize>], at: usize) -> bool {
    let after = ranges.partition_point(|range| range.start <= at);
    after > 0 && ranges[after - 1].contains(&at)
}

/// Where `markdown` holds code, math or raw HTML, in which `==` is no shorthand.
fn code_ranges(markdown: &str) -> Vec<Range<usize>> {
    ranges_of(markdown, |event| {
        matches!(
            event,
            Event::Code(_)
                | Event::Start(Tag::CodeBlock(_))
                | Event::InlineMath(_)
                | Event::DisplayMath(_)
                | Event::Html(_)
                | Event::InlineHtml(_)
                | Event::Start(Tag::HtmlBlock)
        )
    })
}

/// Where `markdown` holds math.
fn math_ranges(markdown: &str) -> Vec<Range<usize>> {
    if !markdown.contains('$') {
        return Vec::new();
    }
    ranges_of(markdown, |event| {
        matches!(event, Event::InlineMath(_) | Event::DisplayMath(_))
    })
}

/// Where `markdown` holds code spans and blocks.
fn code_only(markdown: &str) -> Vec<Range<usize>> {
    ranges_of(markdown, |event| {
        matches!(event, Event::Code(_) | Event::Start(Tag::CodeBlock(_)))
    })
}

fn ranges_of(markdown: &str, wanted: impl Fn(&Event) -> bool) -> Vec<Range<usize>> {
    if !markdown.contains('`') && !markdown.contains('$') && !markdown.contains('<') {
        // Indented code needs four spaces at a line's start.
        if !markdown.contains("\n    ") && !markdown.contains("\n\t") {
            return Vec::new();
        }
    }
    let mut ranges: Vec<Range<usize>> = Parser::new_ext(markdown, parser_options())
        .into_offset_iter()
        .filter(|(event, _)| wanted(event))
        .map(|(_, range)| range)
        .collect();
    // An HTML block holds HTML events: overlapping ranges are merged into one.
    ranges.sort_unstable_by_key(|range| range.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// The `==text==` shorthands of `text` whose markers are outside `skipped`: the marker must
/// hug the text (`== x ==` and `a == b` are not one) and not touch a letter or digit outside
/// (`x==y==z` is code-like), on one line.
fn shorthands(text: &str, skipped: &[Range<usize>]) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let word = |at: Option<usize>| {
        at.and_then(|i| text[..i].chars().next_back().filter(|_| i > 0))
            .is_some_and(|c| c.is_alphanumeric() || c == '=')
    };
    let mut found = Vec::new();
    let mut at = 0;
    let mut line_end = 0;
    while let Some(found_at) = text[at..].find("==") {
        let open = at + found_at;
        at = open + 2;
        let next = text[open + 2..].chars().next();
        if word(Some(open))
            || next.is_none_or(|c| c.is_whitespace() || c == '=')
            || inside(skipped, open)
        {
            continue;
        }
        // Found once per line: searched from every marker, a long line was quadratic.
        if line_end <= open {
            line_end = text[open..].find('\n').map_or(text.len(), |i| open + i);
        }
        let Some(close) = text[open + 2..line_end].find("==").map(|i| open + 2 + i) else {
            continue;
        };
        let after = text[close + 2..].chars().next();
        let hugging = !text[..close].ends_with(char::is_whitespace);
        if !hugging
            || after.is_some_and(|c| c.is_alphanumeric() || c == '=')
            || inside(skipped, close)
            || bytes.get(close + 2) == Some(&b'=')
        {
            continue;
        }
        found.push(open..close + 2);
        at = close + 2;
    }
    found
}

/// `text` with each shorthand in `marks` written as the next numbered cloze.
fn write_out(text: &str, marks: &[Range<usize>], next: &mut u32) -> String {
    let mut out = String::with_capacity(text.len() + marks.len() * 8);
    let mut copied = 0;
    for mark in marks {
        out.push_str(&text[copied..mark.start]);
        out.push_str(&format!(
            "{{{{c{next}::{}}}}}",
            &text[mark.start + 2..mark.end - 2]
        ));
        *next += 1;
        copied = mark.end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shorthand_after_the_largest_cloze_number_gets_the_next_one() {
        let (question, _) = expand("{{c65535::x}} and ==y==", "").unwrap();
        assert_eq!(question, "{{c65535::x}} and {{c65536::y}}");
    }

    #[test]
    fn standalone_paragraphs_need_a_closed_cloze_outside_code_or_a_shorthand() {
        use Standalone::*;
        assert_eq!(
            standalone("Made in the {{c1::chloroplast::organelle}}."),
            Some(Anki)
        );
        assert_eq!(standalone("The ==nucleus== and {{c2::DNA}}"), Some(Anki));
        assert_eq!(
            standalone("The ==nucleus== holds the DNA."),
            Some(Shorthand)
        );
        assert_eq!(standalone("Write `{{c1::text}}` for a cloze."), None);
        assert_eq!(standalone("Never closed {{c1::text"), None);
        assert_eq!(standalone("Zero {{c0::text}}"), None);
        assert_eq!(standalone("`a ==b== c` and x==y==z"), None);
        assert_eq!(standalone("Plain prose."), None);
    }

    #[test]
    fn shorthands_become_numbered_clozes_after_the_explicit_ones() {
        assert_eq!(
            expand("The capital of ==France== is ==Paris==.", "A city."),
            Some((
                "The capital of {{c1::France}} is {{c2::Paris}}.".to_string(),
                "A city.".to_string()
            ))
        );
        assert_eq!(
            expand("{{c2::Rust}} is ==safe==", "and ==fast==").unwrap(),
            (
                "{{c2::Rust}} is {{c3::safe}}".to_string(),
                "and {{c4::fast}}".to_string()
            )
        );
        assert_eq!(expand("What is X?", "x"), None);
        assert_eq!(
            expand("What is {{c1::open?", "x"),
            None,
            "an unclosed cloze is none"
        );
        assert_eq!(
            numbers("{{c2::a}} {{c1::b {{c3::c}}}} {{c0::d}} {{c4::e"),
            [1, 2, 3]
        );
        assert_eq!(numbers("{{c1::$a^{b^{c}}$}} and {{c2::x}}"), [1, 2]);
    }

    #[test]
    fn code_math_and_comparisons_are_no_shorthand() {
        assert_eq!(expand("Is `a ==b== c` true?", "Yes, $x==y==z$."), None);
        assert_eq!(expand("Is a == b == c?", "x==y==z and ==  no=="), None);
        assert_eq!(
            expand("Q?", "```\n==code==\n```\n\nand ==this==")
                .unwrap()
                .1,
            "```\n==code==\n```\n\nand {{c1::this}}"
        );
        assert_eq!(expand("===x===?", "a"), None);
        assert_eq!(
            expand("Q?", "==first== on\n==two== lines").unwrap().1,
            "{{c1::first}} on\n{{c2::two}} lines"
        );
        assert_eq!(expand("Q?", "==across\nlines=="), None);
    }

    #[test]
    fn problems_name_unclosed_zero_and_code_shorthands() {
        let found = problems("{{c1::open and {{c0::zero}} and `==code==` and ==fine==");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("`{{c0::` is no cloze"), "{found:?}");
        assert!(found[1].contains("never closed"), "{found:?}");
        assert!(found[2].contains("`==code==` is inside code"), "{found:?}");
        assert!(problems("{{c1::$\\frac{1}{\\sqrt{2}}$}} ==x==").is_empty());
    }

    #[test]
    fn plain_text_drops_markup_and_hints() {
        assert_eq!(
            plain("The {{c1::capital::city}} is {{c2::Paris}}."),
            "The capital is Paris."
        );
        assert_eq!(plain("{{c1::outer {{c2::inner}}}} x"), "outer inner x");
        assert_eq!(plain("no cloze: a::b }}"), "no cloze: a::b }}");
        assert!(problems("é {{c1::ü").len() == 1 && spans("é {{c1::ü}} ß").len() == 1);
        assert_eq!(
            plain("It is {{c1::$\\frac{1}{\\sqrt{2}}$}}."),
            "It is $\\frac{1}{\\sqrt{2}}$."
        );
        assert_eq!(hide("It is {{c1::$a^{b^{c}}$}}.", 1), "It is [...].");
    }

    #[test]
    fn a_card_hides_its_cloze_and_shows_the_others() {
        let text = "The {{c1::capital::city}} of {{c2::France}} is {{c1::Paris}}.";
        assert_eq!(hide(text, 1), "The [city] of France is [...].");
        assert_eq!(hide(text, 2), "The capital of [...] is Paris.");
    }

    #[test]
    fn many_code_spans_and_markers_take_linear_time() {
        // The fastest of five runs, at two sizes: sixteen times the text takes about sixteen
        // times as long (256 if the scan were quadratic); the bound leaves room for a machine
        // busy with other tests.
        let time = |repeats: usize| {
            let text = "`a` ==x== ".repeat(repeats);
            (0..5)
                .map(|_| {
                    let started = std::time::Instant::now();
                    assert!(problems(&text).is_empty());
                    assert!(expand(&text, "").is_some());
                    started.elapsed()
                })
                .min()
                .unwrap()
        };
        let (small, large) = (time(2_000), time(32_000));
        assert!(large < small * 100, "{small:?} then {large:?}");
    }

    #[test]
    fn spans_cover_whole_clozes() {
        let text = "What is {{c1::Rust::a language}}? :: A language";
        assert_eq!(spans(text), vec![Range { start: 8, end: 32 }]);
    }
}
