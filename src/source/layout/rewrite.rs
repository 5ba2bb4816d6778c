//! Shows the parser the document its author meant where Markdown hides it: a document wrapped
//! whole in a ```` ```markdown ```` fence (as chat assistants hand notes out), and a FAQ written
//! as HTML headings and paragraphs nested in `<div>`s, whose indentation CommonMark reads as
//! code. The rewrite keeps every byte offset and line break where it was (lines are blanked or
//! shifted, never added or removed), so positions, line numbers and clutter ranges stay the
//! file's, and it is one linear pass over the lines.

use std::borrow::Cow;
use std::ops::Range;

use super::question::{ends_with_question_mark, question_like};

/// Wrapper fences and HTML structure shown as the Markdown they stand for; `src` itself when
/// neither is there.
pub(crate) fn rewrite(src: &str, body: usize) -> Cow<'_, str> {
    let lines = lines(src, body);
    let mut edits: Vec<(Range<usize>, Edit)> = Vec::new();
    unwrap_fences(src, &lines, &mut edits);
    html_structure(src, &lines, &edits.clone(), &mut edits);
    containers(src, &lines, &mut edits);
    if edits.is_empty() {
        return Cow::Borrowed(src);
    }
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(src.len());
    let mut at = 0;
    for (range, edit) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&src[at..range.start]);
        let line = &src[range.clone()];
        let text = match edit {
            Edit::Blank => String::new(),
            Edit::Shift => line.trim().to_string(),
            Edit::Heading(level, inner) => {
                format!("{} {}", "#".repeat(level), src[inner].trim())
            }
        };
        out.push_str(&text);
        // Padding at the end keeps the length; a line of spaces is a blank line.
        out.extend(std::iter::repeat_n(' ', line.len() - text.len()));
        at = range.end;
    }
    out.push_str(&src[at..]);
    debug_assert_eq!(out.len(), src.len());
    Cow::Owned(out)
}

/// What becomes of one line (its range excludes the line break).
#[derive(Debug, Clone)]
enum Edit {
    /// Only spaces: a fence or a wrapper tag that is no content.
    Blank,
    /// The text moved to the first column, so indentation inside HTML is no code block.
    Shift,
    /// An HTML heading element written as an ATX heading of its level (inner text range).
    Heading(usize, Range<usize>),
}

/// The `::: tip Title` and `:::` lines of a VitePress, Docusaurus or markdown-it container are
/// blanked: its text is an ordinary part of the answer, and a `:::` line would otherwise read as
/// a definition (`: …`) to the parser. Lines inside code fences are left alone.
fn containers(src: &str, lines: &[Range<usize>], edits: &mut Vec<(Range<usize>, Edit)>) {
    let mut open: Option<(u8, usize)> = None;
    for line in lines {
        let text = &src[line.clone()];
        if let Some((marker, run, _)) = fence(text) {
            match open {
                None => open = Some((marker, run)),
                Some((m, r)) if m == marker && run >= r => open = None,
                Some(_) => {}
            }
            continue;
        }
        if open.is_some() || text.len() - text.trim_start_matches(' ').len() > 3 {
            continue;
        }
        let rest = text.trim();
        let container = rest.strip_prefix(":::").is_some_and(|after| {
            after.is_empty()
                || after.trim_start().starts_with(|c: char| c.is_alphabetic())
                    && !after.contains(":::")
        });
        if container {
            edits.push((line.clone(), Edit::Blank));
        }
    }
}

/// The ranges of the lines after the front matter, without their line breaks.
fn lines(src: &str, body: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = body;
    for line in src[body..].split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        out.push(at..at + content.len());
        at += line.len();
    }
    out
}

/// A code fence line: its marker, run length and info string. Fences nested in list items
/// are indented by any amount, so indentation is not looked at.
fn fence(line: &str) -> Option<(u8, usize, &str)> {
    let trimmed = line.trim_start_matches([' ', '\t']);
    let marker = *trimmed.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let run = trimmed.bytes().take_while(|&b| b == marker).count();
    (run >= 3).then(|| (marker, run, trimmed[run..].trim()))
}

/// A line that asks in any layout: a question heading, a `Q:` label, a bold or numbered
/// question.
fn asks(line: &str) -> bool {
    let line = line.trim();
    let text = line
        .trim_start_matches(['#', '*', '_', ' '])
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['.', ')', ' ']);
    let labelled = ["Q:", "Q.", "Q："].iter().any(|l| text.starts_with(l));
    let marked =
        line.starts_with('#') || line.starts_with("**") || line.starts_with(char::is_numeric);
    labelled || marked && ends_with_question_mark(line.trim_end_matches(['*', '_', ' ']))
}

/// A ```` ```markdown ```` fence that wraps questions, when no question comes before it: its
/// fence lines are blanked, so the inner code blocks pair up again and the questions are read.
/// Inside, a fence with an info string opens an inner block and a bare one closes it; a bare
/// fence outside every inner block closes the wrapper.
fn unwrap_fences(src: &str, lines: &[Range<usize>], edits: &mut Vec<(Range<usize>, Edit)>) {
    let mut index = 0;
    let mut open: Option<(u8, usize)> = None;
    while index < lines.len() {
        let line = &src[lines[index].clone()];
        index += 1;
        if let Some((marker, run)) = open {
            if fence(line).is_some_and(|(m, r, info)| m == marker && r >= run && info.is_empty()) {
                open = None;
            }
            continue;
        }
        if asks(line) {
            return;
        }
        let Some((marker, run, info)) = fence(line) else {
            continue;
        };
        let language = info.split_whitespace().next().unwrap_or("");
        if !matches!(language.to_ascii_lowercase().as_str(), "markdown" | "md") {
            open = Some((marker, run));
            continue;
        }
        let (close, questions) = wrapper_end(src, &lines[index..], marker, run);
        if questions < 3 {
            open = Some((marker, run));
            continue;
        }
        edits.push((lines[index - 1].clone(), Edit::Blank));
        if let Some(close) = close {
            edits.push((lines[index + close].clone(), Edit::Blank));
        }
        return;
    }
}

/// Where a wrapper fence closes (an index into `lines`) and how many asking lines it holds.
fn wrapper_end(
    src: &str,
    lines: &[Range<usize>],
    marker: u8,
    run: usize,
) -> (Option<usize>, usize) {
    let mut inner: Option<(u8, usize)> = None;
    let mut questions = 0;
    for (index, range) in lines.iter().enumerate() {
        let line = &src[range.clone()];
        match (fence(line), inner) {
            (Some((m, r, info)), Some((im, ir))) if m == im && r >= ir && info.is_empty() => {
                inner = None;
            }
            (Some(_), Some(_)) => {}
            (Some((m, r, info)), None) => {
                if m == marker && r >= run && info.is_empty() {
                    return (Some(index), questions);
                }
                inner = Some((m, r));
            }
            (None, None) if asks(line) => questions += 1,
            _ => {}
        }
    }
    (None, questions)
}

/// Tags that only group other elements; a line holding nothing else is no content.
const WRAPPERS: [&str; 11] = [
    "div", "section", "article", "main", "header", "footer", "aside", "span", "dl", "ul", "ol",
];

/// A FAQ written in HTML: at least two lines that are whole `<h1>`…`<h6>` elements and ask.
/// Then every such line becomes an ATX heading, lines of wrapper tags only are blanked and
/// lines inside wrappers move to the first column (outside `<pre>` and fences).
fn html_structure(
    src: &str,
    lines: &[Range<usize>],
    taken: &[(Range<usize>, Edit)],
    edits: &mut Vec<(Range<usize>, Edit)>,
) {
    let taken: Vec<usize> = taken.iter().map(|(r, _)| r.start).collect();
    let mut headings = Vec::new();
    let mut fenced: Option<(u8, usize)> = None;
    let mut plain = Vec::with_capacity(lines.len());
    for range in lines {
        let line = &src[range.clone()];
        let in_fence = if taken.contains(&range.start) {
            false
        } else if let Some((marker, run)) = fenced {
            if fence(line).is_some_and(|(m, r, info)| m == marker && r >= run && info.is_empty()) {
                fenced = None;
            }
            true
        } else if let Some((marker, run, _)) = fence(line) {
            fenced = Some((marker, run));
            true
        } else {
            false
        };
        plain.push(!in_fence);
        if !in_fence {
            if let Some((level, inner)) = html_heading(line) {
                let start = range.start;
                headings.push((range.clone(), level, start + inner.start..start + inner.end));
            }
        }
    }
    let asking = headings
        .iter()
        .filter(|(_, _, inner)| question_like(src[inner.clone()].trim(), false))
        .count();
    if asking < 2 {
        return;
    }
    let mut heading = headings.into_iter().peekable();
    let mut depth = 0usize;
    let mut pre = false;
    for (range, plain) in lines.iter().zip(plain) {
        let line = &src[range.clone()];
        let is_heading = heading.next_if(|(r, _, _)| r.start == range.start);
        if !plain || taken.contains(&range.start) {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if lower.contains("<pre") {
            pre = !lower.contains("</pre>");
            continue;
        }
        if pre {
            pre = !lower.contains("</pre>");
            continue;
        }
        if let Some((_, level, inner)) = is_heading {
            edits.push((range.clone(), Edit::Heading(level, inner)));
            continue;
        }
        let (opened, closed, only_wrappers) = wrapper_tags(&lower);
        let inside = depth > 0;
        depth = (depth + opened).saturating_sub(closed);
        if only_wrappers && (opened + closed) > 0 {
            edits.push((range.clone(), Edit::Blank));
        } else if inside && line.starts_with([' ', '\t']) {
            edits.push((range.clone(), Edit::Shift));
        }
    }
}

/// A line that is one whole `<hN …>text</hN>` element: its level and the text's range in the
/// line.
fn html_heading(line: &str) -> Option<(usize, Range<usize>)> {
    let trimmed = line.trim();
    let offset = line.len() - line.trim_start().len();
    let bytes = trimmed.as_bytes();
    if bytes.len() < 9 || bytes[0] != b'<' || !matches!(bytes[1], b'h' | b'H') {
        return None;
    }
    let level = (bytes[2] as char).to_digit(10)? as usize;
    if !(1..=6).contains(&level) || !matches!(bytes[3], b'>' | b' ') {
        return None;
    }
    let open_end = trimmed.find('>')? + 1;
    let close = format!("</h{level}>");
    let lower = trimmed.to_ascii_lowercase();
    if !lower.ends_with(&close) || lower[3..].contains(&format!("<h{level}")) {
        return None;
    }
    let inner = open_end..trimmed.len() - close.len();
    if inner.start >= inner.end || trimmed[inner.clone()].trim().is_empty() {
        return None;
    }
    if lower[inner.clone()].contains("</h") {
        return None;
    }
    Some((level, offset + inner.start..offset + inner.end))
}

/// How many wrapper tags a (lowercased) line opens and closes, and whether it holds nothing
/// else.
fn wrapper_tags(lower: &str) -> (usize, usize, bool) {
    let mut opened = 0;
    let mut closed = 0;
    let mut only = true;
    let mut rest = lower.trim();
    while !rest.is_empty() {
        let Some(tag_end) = rest.strip_prefix('<').and_then(|r| r.find('>')) else {
            only = false;
            if rest.starts_with('<') {
                // No `>` after this `<`, so none after any later one: no tag is left to count
                // (and looking again from every `<` would be quadratic on a long line).
                break;
            }
            // Count the tags further on the line all the same.
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let next = rest[first..].find('<').map_or(rest.len(), |i| i + first);
            rest = rest[next..].trim_start();
            continue;
        };
        let tag = &rest[1..=tag_end];
        let (closing, name) = match tag.strip_prefix('/') {
            Some(name) => (true, name),
            None => (false, tag),
        };
        let name = name
            .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .next()
            .unwrap_or("");
        if WRAPPERS.contains(&name) {
            let self_closing = tag.trim_end_matches('>').trim_end().ends_with('/');
            if closing {
                closed += 1;
            } else if !self_closing {
                opened += 1;
            }
        } else {
            only = false;
        }
        rest = rest[tag_end + 2..].trim_start();
    }
    (opened, closed, only)
}

#[cfg(test)]
mod container_tests {
    #[test]
    fn container_fences_are_blanked_outside_code() {
        let src = "Intro.\n\n::: tip Read this\nKeep it.\n:::\n\n```md\n:::\n```\n";
        let out = super::rewrite(src, 0);
        let blank = " ".repeat("::: tip Read this".len());
        assert_eq!(
            out,
            format!("Intro.\n\n{blank}\nKeep it.\n   \n\n```md\n:::\n```\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(src: &str) -> String {
        let out = rewrite(src, 0).into_owned();
        assert_eq!(out.len(), src.len());
        assert_eq!(out.matches('\n').count(), src.matches('\n').count());
        out.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_wrapper_fence_is_opened_and_its_inner_fences_pair_up() {
        let src = "Notes:\n\n```markdown\n# T\n\n### 1. What is A?\nA.\n```sh\nrun a\n```\n\n### 2. What is B?\nB.\n\n### 3. What is C?\nC.\n```\n\nAfter.\n";
        let out = rewritten(src);
        assert!(!out.contains("```markdown"));
        assert!(out.contains("```sh\nrun a\n```\n"));
        assert!(out.ends_with("C.\n\n\nAfter."));
    }

    #[test]
    fn a_markdown_example_in_an_answer_stays_code() {
        let src = "### How do I write a card?\n\n```markdown\n### What is A?\nA.\n### What is B?\n### What is C?\n```\n";
        assert_eq!(rewrite(src, 0), src);
        let few = "Intro\n\n```md\n# Title\n## Part\n### What is A?\n```\n";
        assert_eq!(rewrite(few, 0), few);
    }

    #[test]
    fn html_headings_in_divs_become_markdown() {
        let src = "# FAQ\n\n<div class=\"faq\">\n  <div>\n    <h2 class=\"x\">Basics</h2>\n\n    <div class=\"item\">\n      <h3>What is it?</h3>\n      <p>A tool.</p>\n    </div>\n\n    <div class=\"item\">\n      <h3 class=\"q\">Is it free?</h3>\n      <p>\n        Yes.\n      </p>\n    </div>\n  </div>\n</div>\n";
        let out = rewritten(src);
        assert_eq!(
            out,
            "# FAQ\n\n\n\n## Basics\n\n\n### What is it?\n<p>A tool.</p>\n\n\n\n### Is it free?\n<p>\nYes.\n</p>\n\n\n"
        );
    }

    #[test]
    fn one_html_title_changes_nothing() {
        let src =
            "<div align=\"center\">\n  <h1>Project</h1>\n</div>\n\n### What is it?\n\nA tool.\n";
        assert_eq!(rewrite(src, 0), src);
    }

    #[test]
    fn html_headings_are_recognised_whole() {
        assert_eq!(
            html_heading("  <h3 class=\"a\">Why?</h3>"),
            Some((3, 16..20))
        );
        assert_eq!(html_heading("<h2>A</h2> and <h2>B</h2>"), None);
        assert_eq!(html_heading("<h3></h3>"), None);
        assert_eq!(html_heading("<hr>"), None);
        assert_eq!(html_heading("<header>x</header>"), None);
    }

    #[test]
    fn wrapper_tags_are_counted() {
        assert_eq!(wrapper_tags("<div class=\"a\">"), (1, 0, true));
        assert_eq!(wrapper_tags("</div></div>"), (0, 2, true));
        assert_eq!(wrapper_tags("<div><p>x</p></div>"), (1, 1, false));
        assert_eq!(wrapper_tags("<div id=\"q3\" />"), (0, 0, true));
        assert_eq!(wrapper_tags("├─ avatar.js <div>"), (1, 0, false));
    }
}
