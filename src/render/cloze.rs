//! What a cloze note's rendered HTML needs before Anki reads its clozes: Anki ends a cloze at
//! the first `}}`, even inside MathJax (`{{c1::\(\frac{1}{\sqrt{2}}\)}}` would end at `{2}}`),
//! so braces that close together inside math are set apart.

/// `html` with every `}}` inside MathJax (`\(…\)`, `\[…\]`) written `} }`, which MathJax reads
/// the same; text outside math is untouched, so the clozes' own `}}` still close them.
pub(crate) fn guard_math(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some((start, close)) = next_math(rest) {
        out.push_str(&rest[..start]);
        let Some(length) = rest[start + 2..].find(close) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let math = &rest[start..start + 2 + length + 2];
        let mut previous = None;
        for c in math.chars() {
            if c == '}' && previous == Some('}') {
                out.push(' ');
            }
            out.push(c);
            previous = Some(c);
        }
        rest = &rest[start + math.len()..];
    }
    out.push_str(rest);
    out
}

/// Where the next math opens in `html`, and the delimiter that closes it.
fn next_math(html: &str) -> Option<(usize, &'static str)> {
    let inline = html.find("\\(").map(|at| (at, "\\)"));
    let display = html.find("\\[").map(|at| (at, "\\]"));
    match (inline, display) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_closing_together_in_math_are_set_apart_and_clozes_are_not() {
        assert_eq!(
            guard_math("{{c1::\\(\\frac{1}{\\sqrt{2}}\\)}} and \\[a^{b^{c}}}\\]"),
            "{{c1::\\(\\frac{1}{\\sqrt{2} }\\)}} and \\[a^{b^{c} } }\\]"
        );
        assert_eq!(guard_math("{{c1::x}} \\(y\\)"), "{{c1::x}} \\(y\\)");
        assert_eq!(guard_math("open \\( {{x}}"), "open \\( {{x}}");
    }
}
