//! Every kind of card (issue 15), each imported with the real Anki engine: the cards a note
//! makes, what the learner sees on either side, tags and media, and rebuilds after edits.

use std::fs;

use serde_json::Value;

use crate::support::{TempDir, anki_check, deckforge, run, visible_text};

/// Builds `markdown` (written to `dir/name.md`) into `dir/name.apkg` with `args`; it must succeed.
fn build(dir: &TempDir, name: &str, markdown: &str, args: &[&str]) -> String {
    let source = dir.join(&format!("{name}.md"));
    fs::write(&source, markdown).unwrap();
    let out = dir.join(&format!("{name}.apkg"));
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .args(args));
    assert_eq!(code, 0, "{stderr}");
    format!("apkg:{}", out.display())
}

/// The note whose Question field shows `question`.
fn note<'a>(state: &'a Value, question: &str) -> &'a Value {
    state["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| visible_text(n["fields"]["Question"].as_str().unwrap_or_default()) == question)
        .unwrap_or_else(|| panic!("no note asks {question:?}: {:#}", state["notes"]))
}

fn tags(note: &Value) -> Vec<&str> {
    note["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

/// What the learner reads on one side of card `ord` of a note, as the engine renders it.
fn side(note: &Value, ord: usize, which: &str) -> String {
    let html = note["cards"][ord][which].as_str().unwrap();
    let without_style = match (html.find("<style>"), html.find("</style>")) {
        (Some(start), Some(end)) => format!("{}{}", &html[..start], &html[end + 8..]),
        _ => html.to_string(),
    };
    visible_text(&without_style)
}

const TAGGED: &str = "---
title: Tagged
tags: [shared, topic/sub]
---
# Tagged

## Basics

1. **What is X?** #tag

   - **Answer:** X is x. #from-answer

2. **What is Y?** #nested/deep #2024

   - **Answer:** Y is `#code` and issue #42.
";

#[test]
fn tags_from_front_matter_questions_and_answers_reach_anki_and_leave_the_text() {
    let dir = TempDir::new("kinds-tags");
    let apkg = build(&dir, "tagged", TAGGED, &[]);
    let collection = dir.join("collection.anki2");
    let state = anki_check(&collection, std::slice::from_ref(&apkg));
    assert_eq!(state["counts"]["notes"], 2, "{:#}", state["notes"]);
    let x = note(&state, "What is X?");
    assert_eq!(
        tags(x),
        [
            "from-answer",
            "shared",
            "tag",
            "tagged::basics",
            "topic::sub"
        ],
        "Anki sorts tags"
    );
    assert!(
        side(x, 0, "question").ends_with("What is X?"),
        "{}",
        side(x, 0, "question")
    );
    assert!(
        side(x, 0, "answer").ends_with("X is x."),
        "{}",
        side(x, 0, "answer")
    );
    let y = note(&state, "What is Y?");
    assert_eq!(
        tags(y),
        ["nested::deep", "shared", "tagged::basics", "topic::sub"]
    );
    assert!(
        side(y, 0, "answer").contains("Y is #code and issue #42."),
        "code and numbers are no tags: {}",
        side(y, 0, "answer")
    );

    // A tag added in the source updates the note in place.
    let edited = TAGGED.replace("#from-answer", "#from-answer #added");
    let apkg = build(&dir, "tagged", &edited, &[]);
    let rebuilt = anki_check(&collection, &[apkg]);
    assert_eq!(
        rebuilt["imports"][0]["updated"], 1,
        "{:#}",
        rebuilt["imports"]
    );
    assert_eq!(rebuilt["imports"][0]["new"], 0);
    assert_eq!(rebuilt["imports"][0]["conflicting"], 0);
    assert_eq!(rebuilt["counts"]["notes"], 2);
    assert!(tags(note(&rebuilt, "What is X?")).contains(&"added"));
}

const CODE: &str = "# Code

1. **What does this print?**

   - **Answer:** A greeting:

     ```rust
     // say hello
     fn main() { let n = 42; println!(\"hi <{}>\", n); }
     ```

     ```python
     def f(x: int) -> str:
         return \"x\" * x  # repeat
     ```
";

/// Measures, in the page, the contrast of every highlighted token against its code block's
/// background (WCAG's ratio) and counts the distinct colours, into `data-` attributes.
const CONTRAST_PROBE: &str = r#"<script>
(() => {
  const lum = (c) => {
    const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      v = v / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let min = 99, colours = new Set(), tokens = 0;
  for (const span of document.querySelectorAll('.df-answer pre span[class^="hl-"]')) {
    if (span.children.length || !span.textContent.trim()) continue;
    const fg = getComputedStyle(span).color;
    const bg = getComputedStyle(span.closest('pre')).backgroundColor;
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    min = Math.min(min, (a + 0.05) / (b + 0.05));
    colours.add(fg);
    tokens++;
  }
  document.body.dataset.minContrast = min.toFixed(2);
  document.body.dataset.colours = colours.size;
  document.body.dataset.tokens = tokens;
})();
</script></body>"#;

fn data_attribute(dom: &str, name: &str) -> f64 {
    let key = format!("data-{name}=\"");
    let start = dom
        .find(&key)
        .unwrap_or_else(|| panic!("no {key} in the page"))
        + key.len();
    let end = start + dom[start..].find('"').unwrap();
    dom[start..end].parse().unwrap()
}

#[test]
fn highlighted_code_reads_well_in_day_and_night_mode_in_chromium() {
    let browser = crate::preview::chromium();
    let dir = TempDir::new("kinds-highlight");
    let source = dir.join("code.md");
    fs::write(&source, CODE).unwrap();
    let page = dir.join("page.html");
    let (code, _, stderr) = run(deckforge().arg("preview").arg(&source).arg("-o").arg(&page));
    assert_eq!(code, 0, "{stderr}");
    let html = fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("hl-keyword"),
        "the preview shows the highlighted code"
    );
    fs::write(&page, html.replacen("</body>", CONTRAST_PROBE, 1)).unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    for mode in ["", "#night"] {
        let profile = TempDir::new("kinds-chromium-profile");
        let dom = crate::preview::run_chromium(
            browser,
            &profile,
            &["--dump-dom"],
            &format!("{url}{mode}"),
        );
        assert_eq!(mode == "#night", dom.contains("card1 nightMode"), "{mode}");
        let tokens = data_attribute(&dom, "tokens");
        let colours = data_attribute(&dom, "colours");
        let contrast = data_attribute(&dom, "min-contrast");
        assert!(tokens >= 20.0, "{mode}: {tokens} tokens");
        assert!(colours >= 5.0, "{mode}: only {colours} colours");
        assert!(
            contrast >= 4.5,
            "{mode}: a token's contrast is {contrast} (WCAG AA: 4.5)"
        );
        eprintln!("highlight{mode}: {tokens} tokens, {colours} colours, contrast >= {contrast}");
    }
}

#[test]
fn highlighted_code_reaches_anki_without_script_and_no_highlight_turns_it_off() {
    let dir = TempDir::new("kinds-highlight-anki");
    let apkg = build(&dir, "code", CODE, &[]);
    let collection = dir.join("collection.anki2");
    let state = anki_check(&collection, std::slice::from_ref(&apkg));
    let note = note(&state, "What does this print?");
    let answer = note["cards"][0]["answer"].as_str().unwrap();
    assert!(answer.contains("<span class=\"hl-keyword"), "{answer}");
    assert!(answer.contains("<span class=\"hl-comment"), "{answer}");
    assert!(!answer.contains("<script"), "no script in the card");
    let css = state["notetypes"][0]["css"].as_str().unwrap();
    assert!(
        css.contains(".hl-keyword") && css.contains("--df-hl-keyword"),
        "{css}"
    );
    assert!(side(note, 0, "answer").contains("println!(\"hi <{}>\", n);"));

    // Turning it off updates that note in place, with the same text.
    let plain = build(&dir, "code", CODE, &["--no-highlight"]);
    let rebuilt = anki_check(&collection, &[plain]);
    assert_eq!(
        rebuilt["imports"][0]["updated"], 1,
        "{:#}",
        rebuilt["imports"]
    );
    assert_eq!(rebuilt["imports"][0]["new"], 0);
    let note = self::note(&rebuilt, "What does this print?");
    let answer = note["cards"][0]["answer"].as_str().unwrap();
    assert!(!answer.contains("<span class=\"hl-"), "{answer}");
    assert!(side(note, 0, "answer").contains("println!(\"hi <{}>\", n);"));
}

#[test]
fn sound_and_video_are_packed_and_played_by_anki_and_unsafe_ones_stay_text() {
    let dir = TempDir::new("kinds-sound");
    fs::write(
        dir.join("hello.mp3"),
        b"ID3\x04\x00\x00\x00\x00\x00\x00 mp3 frames",
    )
    .unwrap();
    fs::write(dir.join("bell.ogg"), b"OggS\x00\x02 ogg pages").unwrap();
    fs::write(dir.join("clip.mp4"), b"\x00\x00\x00\x18ftypmp42 mp4 boxes").unwrap();
    fs::write(dir.join("fake.mp3"), b"#!/bin/sh\necho not audio\n").unwrap();
    let markdown = "# Sounds

1. **How is it said?**

   - **Answer:** Like this: ![](hello.mp3)

2. **What rings?**

   - **Answer:** The bell. [sound:bell.ogg]

3. **What does the clip show?**

   - **Answer:** A demo.

     <video controls src=\"clip.mp4\"></video>

4. **What stays text?**

   - **Answer:** [sound:../outside.mp3] and [sound:missing.mp3] and [sound:fake.mp3].
";
    let apkg = build(&dir, "sounds", markdown, &[]);
    let collection = dir.join("collection.anki2");
    let state = anki_check(&collection, std::slice::from_ref(&apkg));
    let media: Vec<&str> = state["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(media.len(), 3, "{media:?}");
    for (question, extension) in [
        ("How is it said?", ".mp3"),
        ("What rings?", ".ogg"),
        ("What does the clip show?", ".mp4"),
    ] {
        let note = note(&state, question);
        let sounds = note["cards"][0]["answer_sounds"].as_array().unwrap();
        assert_eq!(sounds.len(), 1, "{question}: {note:#}");
        let file = sounds[0].as_str().unwrap();
        assert!(file.ends_with(extension) && media.contains(&file), "{file}");
        let field = note["fields"]["Answer"].as_str().unwrap();
        assert!(field.contains(&format!("[sound:{file}]")), "{field}");
        assert!(
            !field.contains("<img") && !field.contains("<video"),
            "{field}"
        );
    }
    // The preview plays what Anki will.
    let page = dir.join("page.html");
    let (code, _, stderr) = run(deckforge()
        .arg("preview")
        .arg(dir.join("sounds.md"))
        .arg("-o")
        .arg(&page));
    assert_eq!(code, 0, "{stderr}");
    let page = fs::read_to_string(&page).unwrap();
    assert!(
        page.contains("audio controls src=\\\"hello.mp3\\\""),
        "the preview plays it"
    );

    let text = note(&state, "What stays text?");
    assert_eq!(text["cards"][0]["answer_sounds"], serde_json::json!([]));
    let shown = side(text, 0, "answer");
    assert!(
        shown.contains("[sound:../outside.mp3] and [sound:missing.mp3] and [sound:fake.mp3]"),
        "{shown}"
    );
}

#[test]
fn extra_notes_show_on_the_back_only_set_apart_in_the_answer_field() {
    let dir = TempDir::new("kinds-extra");
    let markdown = "# Extra

1. **What is a mutex?**

   - **Answer:** A lock only one thread holds at a time.

     Note: think of a talking stick.

2. **What is a semaphore?**

   - **Answer:** A counter of permits.

     > [!note] Origin
     > Dijkstra, 1962.
";
    let apkg = build(&dir, "extra", markdown, &[]);
    let collection = dir.join("collection.anki2");
    let state = anki_check(&collection, std::slice::from_ref(&apkg));
    assert_eq!(state["counts"]["cards"], 2);
    for (question, extra, hidden) in [
        ("What is a mutex?", "think of a talking stick.", "Note:"),
        ("What is a semaphore?", "Origin Dijkstra, 1962.", "[!note]"),
    ] {
        let note = note(&state, question);
        assert!(
            !side(note, 0, "question").contains(extra),
            "{question}: not on the front"
        );
        let back = side(note, 0, "answer");
        assert!(back.contains(extra), "{back}");
        assert!(!back.contains(hidden), "{back}");
        let field = note["fields"]["Answer"].as_str().unwrap();
        assert!(field.contains("<div class=\"df-extra\">"), "{field}");
    }
    let fields = &state["notetypes"][0]["fields"];
    assert_eq!(
        fields.as_array().unwrap().len(),
        5,
        "no new field: {fields}"
    );

    // Editing the note updates it in place.
    let edited = markdown.replace("talking stick", "talking stick in a meeting");
    let rebuilt = anki_check(&collection, &[build(&dir, "extra", &edited, &[])]);
    assert_eq!(
        rebuilt["imports"][0]["updated"], 1,
        "{:#}",
        rebuilt["imports"]
    );
    assert_eq!(rebuilt["imports"][0]["new"], 0);
    assert!(side(note(&rebuilt, "What is a mutex?"), 0, "answer").contains("in a meeting"));
}
