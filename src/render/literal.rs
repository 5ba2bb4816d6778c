//! Keeps a line that is only a list or heading marker as text: an answer `443.`, `#` or `*`
//! is what the author wrote, but CommonMark reads it as an empty list item or heading, and the
//! card would show nothing at all.

use std::borrow::Cow;

/// `markdown` with every lone marker line escaped (`443.` → `443\.`, `#` → `\#`); borrowed
/// when there is none, which is nearly always.
pub(crate) fn keep_lone_markers(markdown: &str) -> Cow<'_, str> {
    if !markdown.lines().any(|line| lone_marker(line).is_some()) {
        return Cow::Borrowed(markdown);
    }
    let lines: Vec<&str> = markdown.split('\n').collect();
    let mut out = String::with_capacity(markdown.len() + 4);
    let mut fence: Option<(u8, usize)> = None;
    let mut previous_blank = true;
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        if indent < 4 {
            if let Some(open) = fence_marker(trimmed) {
                fence = match fence {
                    None => Some(open),
                    Some((ch, len)) if open.0 == ch && open.1 >= len => None,
                    still => still,
                };
            }
        }
        let escape_at = match (fence, lone_marker(line)) {
            (None, Some(at)) => {
                let heading = trimmed.starts_with('#');
                let continued = lines
                    .get(index + 1)
                    .is_some_and(|next| next.starts_with("  ") && !next.trim().is_empty());
                ((heading || previous_blank) && !continued).then_some(at)
            }
            _ => None,
        };
        match escape_at {
            Some(at) => {
                out.push_str(&line[..at]);
                out.push('\\');
                out.push_str(&line[at..]);
            }
            None => out.push_str(line),
        }
        previous_blank = line.trim().is_empty();
    }
    Cow::Owned(out)
}

/// Where to put the backslash when `line` is nothing but a marker: `1.`/`1)` (before the
/// punctuation), `-`, `+`, `*`, `>` or `#`…`######` (before the marker).
fn lone_marker(line: &str) -> Option<usize> {
    let trimmed = line.trim_end();
    let body = trimmed.trim_start_matches(' ');
    let indent = trimmed.len() - body.len();
    if indent >= 4 || body.is_empty() {
        return None;
    }
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) && matches!(&body[digits..], "." | ")") {
        return Some(indent + digits);
    }
    let single = matches!(body, "-" | "+" | "*" | ">");
    let heading = body.len() <= 6 && body.bytes().all(|b| b == b'#');
    (single || heading).then_some(indent)
}

/// The fence character and length when `trimmed` opens or closes a code fence.
fn fence_marker(trimmed: &str) -> Option<(u8, usize)> {
    let ch = *trimmed.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = trimmed.bytes().take_while(|&b| b == ch).count();
    (len >= 3).then_some((ch, len))
}

#[cfg(test)]
mod tests {
    use super::keep_lone_markers;

    #[test]
    fn a_lone_number_heading_or_bullet_marker_stays_text() {
        assert_eq!(keep_lone_markers("443."), "443\\.");
        assert_eq!(keep_lone_markers("7)"), "7\\)");
        assert_eq!(keep_lone_markers("#"), "\\#");
        assert_eq!(keep_lone_markers("*"), "\\*");
        assert_eq!(keep_lone_markers("  -  "), "  \\-  ");
        assert_eq!(
            keep_lone_markers("The port:\n\n443."),
            "The port:\n\n443\\."
        );
        assert_eq!(keep_lone_markers("Then\n#"), "Then\n\\#");
    }

    #[test]
    fn real_lists_headings_code_and_setext_underlines_are_untouched() {
        for markdown in [
            "1. one\n2. two",
            "# Title",
            "- item",
            "1.\n   content under an item that starts empty",
            "```\n443.\n#\n```",
            "~~~~\n*\n~~~~",
            "    443.",
            "Heading\n-",
            "2024. A year that ends a sentence.",
        ] {
            assert_eq!(keep_lone_markers(markdown), markdown, "{markdown:?}");
        }
    }
}
