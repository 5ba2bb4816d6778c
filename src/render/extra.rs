//! The extra notes an answer carries (`Note:` / `Extra:` paragraphs, `> [!note]` callouts),
//! set apart on the back of the card as a `df-extra` block the card's CSS styles quietly.
//!
//! They stay in the Answer field instead of a field of their own: a new field changes the note
//! type's shape, which makes Anki fork it on import (anki-format.md), and a second note type for
//! cards with notes would retire and re-add every note that gains one, losing its reviews.

/// Labels that open an extra paragraph, compared without case.
const LABELS: [&str; 5] = ["note", "notes", "extra", "hint", "remark"];

/// Callout types read as extra notes (`> [!note] Title`).
const CALLOUTS: [&str; 4] = ["note", "info", "tip", "hint"];

/// The opening of the block an extra note is wrapped in.
pub(crate) const OPEN: &str = "<div class=\"df-extra\">";

/// `answer` (Markdown) with its extra notes wrapped in a `df-extra` block, or `None` when it
/// has none. Fenced code is left alone; a label must start a line that is not indented.
pub(crate) fn mark(answer: &str) -> Option<String> {
    if !answer.contains(':') && !answer.contains("[!") {
        return None;
    }
    // Most answers with a colon have no label: they are found without copying a line.
    if !answer
        .lines()
        .any(|line| callout(line).is_some() || labelled(line).is_some())
    {
        return None;
    }
    let lines: Vec<&str> = answer.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 4);
    let mut fence: Option<&str> = None;
    let mut found = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            out.push(line.to_string());
            i += 1;
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            out.push(line.to_string());
            i += 1;
            continue;
        }
        let body = if let Some(title) = callout(line) {
            let mut body = vec![title.map(|t| format!("**{t}**")).unwrap_or_default()];
            i += 1;
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let inner = lines[i].trim_start()[1..].strip_prefix(' ');
                body.push(inner.unwrap_or(&lines[i].trim_start()[1..]).to_string());
                i += 1;
            }
            Some(body)
        } else if let Some(rest) = labelled(line) {
            let mut body = vec![rest.to_string()];
            i += 1;
            while i < lines.len() && !lines[i].trim().is_empty() {
                body.push(lines[i].to_string());
                i += 1;
            }
            Some(body)
        } else {
            None
        };
        match body {
            Some(body) => {
                found = true;
                out.push(String::new());
                out.push(OPEN.to_string());
                out.push(String::new());
                out.extend(body.into_iter().skip_while(|l| l.trim().is_empty()));
                out.push(String::new());
                out.push("</div>".to_string());
                out.push(String::new());
            }
            None => {
                out.push(line.to_string());
                i += 1;
            }
        }
    }
    found.then(|| out.join("\n").trim().to_string())
}

/// The rest of a line that opens with an extra-note label (`Note:`, `**Extra:**`, `*Hint*:`).
fn labelled(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let unwrapped = line.trim_start_matches(['*', '_']);
    let (label, rest) = unwrapped.split_once(':')?;
    let label = label.trim_end_matches(['*', '_']);
    if !LABELS.iter().any(|l| l.eq_ignore_ascii_case(label)) {
        return None;
    }
    let rest = rest.trim_start_matches(['*', '_']).trim_start();
    // `Note: **bold**` keeps its bold; an emphasis marker after the colon closed the label.
    Some(rest)
}

/// The title (if any) of a callout line `> [!note] Title` of a type read as extra notes.
fn callout(line: &str) -> Option<Option<&str>> {
    let rest = line.trim_start().strip_prefix('>')?.trim_start();
    let rest = rest.strip_prefix("[!")?;
    let (kind, title) = rest.split_once(']')?;
    let kind = kind.trim_end_matches(['-', '+']);
    if !CALLOUTS.iter().any(|c| c.eq_ignore_ascii_case(kind)) {
        return None;
    }
    let title = title.trim_start_matches(['-', '+']).trim();
    Some((!title.is_empty()).then_some(title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_callouts_become_extra_blocks() {
        let answer = "X is x.\n\nNote: remember the *y*.\nIt wraps.\n\n> [!note] Why\n> Because.\n> More.\n\nAfter.";
        assert_eq!(
            mark(answer).unwrap(),
            format!(
                "X is x.\n\n\n{OPEN}\n\nremember the *y*.\nIt wraps.\n\n</div>\n\n\n\n{OPEN}\n\n**Why**\nBecause.\nMore.\n\n</div>\n\n\nAfter."
            )
        );
        let bold = mark("**Extra:** see RFC 1.").unwrap();
        assert!(bold.contains("\nsee RFC 1.\n"), "{bold}");
        let untitled = mark("> [!TIP]\n> Try it.").unwrap();
        assert!(
            untitled.contains(&format!("{OPEN}\n\nTry it.")),
            "{untitled}"
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        for answer in [
            "Notebook: a thing.",
            "```text\nNote: in code\n```",
            "    Note: indented code",
            "> [!warning] Careful\n> not a note",
            "> quoted Note: no",
            "Time: 10:30",
        ] {
            assert_eq!(mark(answer), None, "{answer}");
        }
    }
}
