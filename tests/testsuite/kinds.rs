//! Every kind of card (issue 15), each imported with the real Anki engine: the cards a note
//! makes, what the learner sees on either side, tags and media, and rebuilds after edits.

use std::fs;

use serde_json::Value;

use crate::support::{TempDir, anki_check, assert_golden, deckforge, dump_apkg, run, visible_text};

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

/// One document with every cloze and reversed syntax, tags, and `==` in code that is no cloze.
const EVERY_KIND: &str = r"---
title: Every kind
tags: [every]
---
# Every kind

## Cloze

1. **What is the capital of France?**

   - **Answer:** ==Paris==, on the {{c2::Seine::a river}}. #geo

2. **The {{c1::borrow checker}} enforces ==ownership== rules. Why?**

   - **Answer:** To keep memory safe.

3. **What does `a ==b== c` compare?**

   - **Answer:** Equality, in code.

Golden ratio :: It is {{c1::$\frac{1}{2}(1+\sqrt{5})$}}, and {{c2::$\frac{1}{\frac{1}{\varphi}}$}}.

## Reversed

Mitochondria:::The powerhouse of the cell

Ribosome
??
Makes proteins

Nucleus :: Holds the genome
";

/// `text` without cloze markers (`{{c1::` and `}}`); hints stay.
fn unclozed(text: &str) -> String {
    let mut out = text.replace("}}", "");
    while let Some(at) = out.find("{{c") {
        let end = out[at..].find("::").map_or(out.len(), |i| at + i + 2);
        out.replace_range(at..end, "");
    }
    out
}

/// The note one of whose fields, as the learner reads it (clozes revealed), starts with `start`.
fn note_starting<'a>(state: &'a Value, start: &str) -> &'a Value {
    state["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| {
            n["fields"].as_object().is_some_and(|f| {
                f.values()
                    .any(|v| unclozed(&visible_text(v.as_str().unwrap())).starts_with(start))
            })
        })
        .unwrap_or_else(|| panic!("no note starts {start:?}: {:#}", state["notes"]))
}

fn ords(note: &Value) -> Vec<u64> {
    note["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ord"].as_u64().unwrap())
        .collect()
}

/// Builds `markdown` as `dir/name.md` into `dir/name.apkg`, returning the import step and what
/// the build said.
fn build_saying(dir: &TempDir, name: &str, markdown: &str) -> (String, String) {
    let source = dir.join(&format!("{name}.md"));
    fs::write(&source, markdown).unwrap();
    let out = dir.join(&format!("{name}.apkg"));
    let (code, stdout, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    (
        format!("apkg:{}", out.display()),
        format!("{stdout}{stderr}"),
    )
}

#[test]
fn every_kind_reaches_anki_with_its_cards_rendered_by_the_engine() {
    let dir = TempDir::new("kinds-every");
    let (apkg, said) = build_saying(&dir, "every", EVERY_KIND);
    assert!(said.contains("`==b==` is inside code"), "{said}");
    assert!(
        said.contains("every.md:17:"),
        "the warning names file and line: {said}"
    );
    let state = anki_check(&dir.join("collection.anki2"), std::slice::from_ref(&apkg));
    assert_eq!(state["counts"]["notes"], 7, "{:#}", state["notes"]);
    assert_eq!(state["counts"]["cards"], 2 + 2 + 1 + 2 + 2 + 2 + 1);
    let mut types: Vec<(&str, Vec<&str>)> = state["notetypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("deckforge-every"))
        .map(|t| {
            let templates = t["templates"].as_array().unwrap();
            (
                t["name"].as_str().unwrap(),
                templates.iter().map(|n| n.as_str().unwrap()).collect(),
            )
        })
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            ("deckforge-every", vec!["Question → Answer"]),
            ("deckforge-every cloze", vec!["Cloze"]),
            (
                "deckforge-every reversed",
                vec!["Question → Answer", "Answer → Question"]
            ),
        ]
    );

    // A cloze in the answer: the question and answer are the Text; the explicit c2 keeps its
    // number and the shorthand comes after it.
    let paris = note_starting(&state, "What is the capital of France?");
    assert_eq!(paris["notetype"], "deckforge-every cloze");
    assert_eq!(ords(paris), [1, 2]);
    assert_eq!(tags(paris), ["every", "every::cloze", "geo"]);
    let front = side(paris, 0, "question");
    assert!(
        front.ends_with("Paris, on the [a river]."),
        "hint shown: {front}"
    );
    assert!(side(paris, 0, "answer").ends_with("Paris, on the Seine."));
    assert!(side(paris, 1, "question").ends_with("[...], on the Seine."));

    // Clozes in the question: the answer is the Extra, on the back only.
    let borrow = note_starting(&state, "The borrow checker");
    assert_eq!(ords(borrow), [0, 1]);
    assert_eq!(
        borrow["fields"]["Extra"]
            .as_str()
            .map(visible_text)
            .as_deref(),
        Some("To keep memory safe.")
    );
    assert!(side(borrow, 0, "question").ends_with("The [...] enforces ownership rules. Why?"));
    assert!(side(borrow, 1, "question").ends_with("The borrow checker enforces [...] rules. Why?"));
    assert!(!side(borrow, 1, "question").contains("memory"));
    assert!(side(borrow, 1, "answer").ends_with("ownership rules. Why? To keep memory safe."));

    // `==` in code is code: a basic note.
    let code = note(&state, "What does a ==b== c compare?");
    assert_eq!(code["notetype"], "deckforge-every");

    // `}}` inside MathJax ends no cloze: each card hides exactly its formula.
    let golden = note_starting(&state, "Golden ratio");
    assert_eq!(ords(golden), [0, 1]);
    let first = side(golden, 0, "question");
    let second = side(golden, 1, "question");
    assert!(
        first.contains("It is [...], and \\(\\frac{1}{\\frac{1}{\\varphi} }\\)."),
        "{first}"
    );
    assert!(
        second.contains("It is \\(\\frac{1}{2}(1+\\sqrt{5})\\), and [...]."),
        "{second}"
    );
    for card in golden["cards"].as_array().unwrap() {
        for which in ["question", "answer"] {
            let html = card[which].as_str().unwrap();
            assert!(
                !html.contains("}}") && !html.contains("{{c"),
                "a stray cloze end: {html}"
            );
        }
    }

    // Reversed, by `:::` and by `??`: the second card asks the answer.
    for (question, answer) in [
        ("Mitochondria", "The powerhouse of the cell"),
        ("Ribosome", "Makes proteins"),
    ] {
        let reversed = note(&state, question);
        assert_eq!(reversed["notetype"], "deckforge-every reversed");
        assert_eq!(ords(reversed), [0, 1]);
        assert!(side(reversed, 0, "question").ends_with(question));
        assert!(side(reversed, 1, "question").ends_with(answer));
        assert!(!side(reversed, 1, "question").contains(question));
        assert!(side(reversed, 1, "answer").ends_with(&format!("{answer} {question}")));
        assert_eq!(tags(reversed), ["every", "every::reversed"]);
    }
    assert_eq!(note(&state, "Nucleus")["notetype"], "deckforge-every");

    // The preview shows one block per card Anki made.
    let page = dir.join("page.html");
    let (code, _, stderr) = run(deckforge()
        .arg("preview")
        .arg(dir.join("every.md"))
        .arg("-o")
        .arg(&page));
    assert_eq!(code, 0, "{stderr}");
    let page = fs::read_to_string(&page).unwrap();
    assert_eq!(page.matches("\"guid\":").count(), 12, "a block per card");
    assert!(page.contains("The \\u003cspan class=\\\"cloze\\\">[...]\\u003c/span> enforces"));
    assert!(page.contains("Paris, on the \\u003cspan class=\\\"cloze\\\">[a river]"));
}

#[test]
fn edits_update_in_place_and_a_question_that_changes_kind_is_a_new_note() {
    let dir = TempDir::new("kinds-rebuild");
    let collection = dir.join("collection.anki2");
    let (v1, _) = build_saying(&dir, "every", EVERY_KIND);
    let mut steps = vec![v1, "study:7!".to_string()];
    let first = anki_check(&collection, &steps);
    let cards_before = first["counts"]["cards"].as_u64().unwrap();

    // A cloze's text edited, a cloze added to a note, a basic question gaining a cloze and
    // another becoming reversed.
    let edited = EVERY_KIND
        .replace("{{c1::borrow checker}}", "{{c1::borrow checker (rustc)}}")
        .replace(
            "on the {{c2::Seine::a river}}",
            "on the {{c2::Seine::a river}} in ==Europe==",
        )
        .replace("Equality, in code.", "==Equality==, in code.")
        .replace("Nucleus :: Holds", "Nucleus ::: Holds");
    let (v2, said) = build_saying(&dir, "every", &edited);
    assert!(
        said.contains("added 2, updated 1, reworded 1, removed 2, unchanged 3"),
        "{said}"
    );
    for question in ["What does `a ==b== c` compare?", "Nucleus"] {
        assert!(
            said.contains(&format!("changed kind: {question:?}")),
            "the kind change is reported: {said}"
        );
    }
    steps = vec![v2.clone()];
    let second = anki_check(&collection, &steps);
    let log = &second["imports"][0];
    assert_eq!(log["conflicting"], 0, "{log}");
    assert_eq!(log["new"], 2, "{log}");
    assert_eq!(log["updated"], 4, "two edits and two retired notes: {log}");
    assert_eq!(second["counts"]["notes"], 9);
    assert_eq!(second["counts"]["revlog"], first["counts"]["revlog"]);
    // Anki adds the new cloze's card to the note it has, and never duplicates a question.
    let paris = note_starting(&second, "What is the capital of France?");
    assert_eq!(ords(paris), [1, 2, 3]);
    assert!(side(paris, 2, "question").ends_with("in [...]."));
    assert_eq!(
        paris["cards"][0]["type"], 2,
        "the studied card keeps its history"
    );
    assert!(side(note_starting(&second, "The borrow"), 0, "answer").contains("(rustc)"));
    let current: Vec<&Value> = second["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !tags(n).contains(&"deckforge::removed"))
        .collect();
    assert_eq!(current.len(), 7, "no duplicate");
    let retired: Vec<&str> = second["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| tags(n).contains(&"deckforge::removed"))
        .map(|n| n["notetype"].as_str().unwrap())
        .collect();
    assert_eq!(
        retired,
        ["deckforge-every", "deckforge-every"],
        "retired in their own type"
    );
    let code = current
        .iter()
        .find(|n| {
            n["fields"]["Text"]
                .as_str()
                .is_some_and(|t| t.contains("a ==b== c"))
        })
        .expect("the question is now a cloze note");
    assert!(side(code, 0, "question").ends_with("[...], in code."));
    assert_eq!(
        second["counts"]["cards"].as_u64().unwrap(),
        cards_before + 1 + 1 + 2,
        "the retired notes keep their cards; a cloze card and a reversed note are added"
    );

    // The same package again changes nothing.
    let again = anki_check(&collection, &[v2]);
    assert_eq!(again["imports"][0]["new"], 0);
    assert_eq!(again["imports"][0]["updated"], 0);
    assert_eq!(again["imports"][0]["conflicting"], 0);

    // Changed back, each question gets its old note again and the other one is retired.
    let (v3, said) = build_saying(&dir, "every", EVERY_KIND);
    assert!(
        said.contains("added 0,") && said.contains("removed 2"),
        "{said}"
    );
    let back = anki_check(&collection, &[v3]);
    let log = &back["imports"][0];
    assert_eq!(
        (log["new"].as_u64(), log["conflicting"].as_u64()),
        (Some(0), Some(0)),
        "{log}"
    );
    assert_eq!(back["counts"]["notes"], 9, "no duplicate");
    let code = note(&back, "What does a ==b== c compare?");
    assert!(!tags(code).contains(&"deckforge::removed"), "{code:#}");
    assert_eq!(
        code["cards"][0]["type"], 2,
        "its studied card is back, history and all"
    );
    let mut retired: Vec<&str> = back["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| tags(n).contains(&"deckforge::removed"))
        .map(|n| n["notetype"].as_str().unwrap())
        .collect();
    retired.sort();
    assert_eq!(
        retired,
        ["deckforge-every cloze", "deckforge-every reversed"]
    );
}

#[test]
fn a_csv_names_each_row_s_note_type_and_anki_makes_the_cards() {
    let dir = TempDir::new("kinds-csv");
    let (apkg, _) = build_saying(&dir, "every", EVERY_KIND);
    let csv = dir.join("every.csv");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(dir.join("every.md"))
        .arg("-o")
        .arg(&csv));
    assert_eq!(code, 0, "{stderr}");
    let text = fs::read_to_string(&csv).unwrap();
    assert!(text.contains("#notetype column:1\n"), "{text}");
    let (code, inspected, stderr) = run(deckforge().arg("inspect").arg(&csv));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        inspected.contains("    Text: The {{c1::borrow checker}}")
            && inspected.contains("    Extra: To keep"),
        "inspect reads the note type column: {inspected}"
    );
    assert!(
        text.contains("\n\"deckforge-every cloze\",\"The {{c1::borrow checker}}"),
        "{text}"
    );
    let state = anki_check(
        &dir.join("collection.anki2"),
        &[apkg, format!("csv:{}", csv.display())],
    );
    let log = &state["imports"][1];
    assert_eq!(log["missing_notetype"], 0, "{log}");
    assert_eq!(log["conflicting"], 0, "{log}");
    assert_eq!(log["new"], 0, "{log}");
    assert_eq!(state["counts"]["notes"], 7);
    assert_eq!(state["counts"]["cards"], 12);

    // Into a collection that has the note types, a CSV alone makes every card.
    let fresh = dir.join("fresh.anki2");
    let (empty, _) = build_saying(&dir, "every", EVERY_KIND);
    let state = anki_check(
        &fresh,
        &[
            empty,
            "delete:deck:*".to_string(),
            format!("csv:{}", csv.display()),
        ],
    );
    assert_eq!(state["imports"][2]["new"], 7, "{:#}", state["imports"]);
    assert_eq!(state["counts"]["cards"], 12);
}

#[test]
fn a_project_asks_for_reverse_cards_and_a_document_can_decline() {
    let dir = TempDir::new("kinds-project");
    fs::write(
        dir.join("deckforge.toml"),
        "[[deck]]\nsources = [\"both.md\", \"basic.md\"]\noutput = \"deck.apkg\"\ncards = \"both\"\n",
    )
    .unwrap();
    fs::write(
        dir.join("both.md"),
        "# Both\n\nQ: What is a cell?\nA: The unit of life.\n",
    )
    .unwrap();
    fs::write(
        dir.join("basic.md"),
        "---\ncards: basic\n---\n# Basic\n\nQ: What is DNA?\nA: The genome's molecule.\n",
    )
    .unwrap();
    fs::write(
        dir.join("deckforge.toml"),
        "[[deck]]\nsources = [\"both.md\"]\noutput = \"deck.apkg\"\ncards = \"all\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run(deckforge().arg("build").current_dir(dir.path()));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("deckforge.toml:4:9") && stderr.contains("\"both\""),
        "{stderr}"
    );
    fs::write(
        dir.join("deckforge.toml"),
        "[[deck]]\nsources = [\"both.md\", \"basic.md\"]\noutput = \"deck.apkg\"\ncards = \"both\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run(deckforge().arg("build").current_dir(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    let state = anki_check(
        &dir.join("collection.anki2"),
        &[format!("apkg:{}", dir.join("deck.apkg").display())],
    );
    assert_eq!(ords(note(&state, "What is a cell?")), [0, 1]);
    assert_eq!(ords(note(&state, "What is DNA?")), [0]);
    let lock = dir
        .entries()
        .into_iter()
        .find(|name| name.ends_with(".deckforge.lock"))
        .expect("a lock");
    let lock = fs::read_to_string(dir.join(&lock)).unwrap();
    assert_eq!(lock.matches("\"kind\":\"reversed\"").count(), 1, "{lock}");
}

#[test]
fn check_names_each_malformed_cloze_with_its_file_and_line() {
    let dir = TempDir::new("kinds-check");
    let source = dir.join("bad.md");
    fs::write(
        &source,
        "# Bad\n\nQ: What is {{c1::open?\nA: Never closed.\n\nQ: What is {{c0::zero}}?\nA: Numbered from one.\n\nQ: Is `==x==` a cloze?\nA: No, code.\n",
    )
    .unwrap();
    let (_, stdout, stderr) = run(deckforge().arg("check").arg(&source));
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains("bad.md:3:1: warning: cloze `{{c1::open?…` is never closed"),
        "{said}"
    );
    assert!(
        said.contains("bad.md:6:1: warning: `{{c0::` is no cloze"),
        "{said}"
    );
    assert!(
        said.contains("bad.md:9:1: warning: `==x==` is inside code"),
        "{said}"
    );
    fs::write(
        &source,
        "---\ncards: sideways\n---\n# Odd\n\nQ: What?\nA: This.\n",
    )
    .unwrap();
    let (_, stdout, stderr) = run(deckforge().arg("check").arg(&source));
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains("bad.md:2:1: warning: front matter `cards: sideways` is neither"),
        "{said}"
    );
}

#[test]
fn every_kind_package_matches_its_golden_dump() {
    let dir = TempDir::new("kinds-golden");
    // A first build's GUIDs come from the source's folder and name, so the folder is fixed.
    fs::create_dir(dir.join("kinds")).unwrap();
    let source = dir.join("kinds/every.md");
    fs::write(&source, EVERY_KIND).unwrap();
    let out = dir.join("every.apkg");
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let dump = dump_apkg(&out);
    assert_eq!(dump["card_count"], 12);
    let models = dump["models"].as_object().unwrap();
    let kinds: Vec<(i64, &str)> = models
        .values()
        .map(|m| (m["type"].as_i64().unwrap(), m["name"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&(1, "deckforge-every cloze")), "{kinds:?}");
    assert_golden(
        "tests/fixtures/kinds/package.json",
        &(serde_json::to_string_pretty(&dump).unwrap() + "\n"),
    );
}

#[test]
fn other_apps_get_a_card_per_anki_card() {
    let dir = TempDir::new("kinds-presets");
    fs::create_dir(dir.join("kinds")).unwrap();
    let source = dir.join("kinds/every.md");
    fs::write(&source, EVERY_KIND).unwrap();
    let build = |preset: &str, name: &str| {
        let out = dir.join(name);
        let (code, _, stderr) = run(deckforge()
            .arg("build")
            .arg(&source)
            .arg("-o")
            .arg(&out)
            .args(["--preset", preset]));
        assert_eq!(code, 0, "{stderr}");
        fs::read_to_string(out).unwrap()
    };
    let quizlet = build("quizlet", "quizlet.txt");
    let rows: Vec<&str> = quizlet.lines().collect();
    assert_eq!(rows.len(), 12, "a row per card: {quizlet}");
    assert!(rows.contains(&"The [...] enforces ownership rules. Why?\tThe borrow checker enforces ownership rules. Why? / To keep memory safe."), "{quizlet}");
    assert!(
        rows.contains(&"The powerhouse of the cell\tMitochondria"),
        "{quizlet}"
    );
    assert!(
        rows.contains(&"Mitochondria\tThe powerhouse of the cell"),
        "{quizlet}"
    );
    assert!(rows.contains(&"What is the capital of France? / Paris, on the [a river].\tWhat is the capital of France? / Paris, on the Seine."), "{quizlet}");
    let plain = build("plain", "plain.csv");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(plain.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 12, "{plain}");
    let later: Vec<&str> = rows
        .iter()
        .map(|r| &r[0])
        .filter(|id| id.contains(' '))
        .collect();
    assert_eq!(
        later.len(),
        5,
        "a card after a note's first is `GUID n`: {plain}"
    );
    let first = |id: &str| id.split(' ').next().unwrap().to_string();
    assert!(
        later
            .iter()
            .all(|id| rows.iter().any(|r| r[0] == first(id)))
    );
}

/// Clozes as Anki's own Cloze note type has them: sentences standing alone, beside a heading
/// question and an explicit card.
const STANDALONE: &str = "# Biology
## Cells
### What is the powerhouse of the cell?
The mitochondrion.
### Cloze
The ==nucleus== holds the cell's ==DNA==.

Photosynthesis happens in the {{c1::chloroplast::organelle}}.

Capital of France::Paris
";

#[test]
fn a_cloze_sentence_standing_alone_is_a_cloze_note_and_edits_update_it() {
    let dir = TempDir::new("kinds-standalone");
    let collection = dir.join("collection.anki2");
    let (v1, said) = build_saying(&dir, "biology", STANDALONE);
    assert!(!said.contains("warning"), "no empty Extra warning: {said}");
    let state = anki_check(&collection, std::slice::from_ref(&v1));
    assert_eq!(state["counts"]["notes"], 4, "{:#}", state["notes"]);
    assert_eq!(state["counts"]["cards"], 1 + 1 + 2 + 1);
    assert_eq!(
        note(&state, "What is the powerhouse of the cell?")["notetype"],
        "deckforge-biology"
    );
    assert_eq!(
        note(&state, "Capital of France")["notetype"],
        "deckforge-biology"
    );

    let nucleus = note_starting(&state, "The nucleus holds");
    assert_eq!(nucleus["notetype"], "deckforge-biology cloze");
    assert_eq!(ords(nucleus), [0, 1]);
    assert_eq!(nucleus["fields"]["Extra"], "");
    assert_eq!(tags(nucleus), ["biology::cells::cloze"]);
    let first = side(nucleus, 0, "question");
    assert!(
        first.ends_with("The [...] holds the cell's DNA."),
        "{first}"
    );
    assert!(side(nucleus, 1, "question").ends_with("The nucleus holds the cell's [...]."));
    assert!(side(nucleus, 1, "answer").ends_with("The nucleus holds the cell's DNA."));

    let chloroplast = note_starting(&state, "Photosynthesis");
    assert_eq!(chloroplast["notetype"], "deckforge-biology cloze");
    assert_eq!(ords(chloroplast), [0]);
    let front = side(chloroplast, 0, "question");
    assert!(
        front.ends_with("Photosynthesis happens in the [organelle]."),
        "{front}"
    );
    assert!(side(chloroplast, 0, "answer").ends_with("happens in the chloroplast."));

    // The sentence reworded: the same note, updated in place.
    let edited = STANDALONE.replace("happens in the", "takes place in the");
    let (v2, said) = build_saying(&dir, "biology", &edited);
    assert!(said.contains("reworded"), "{said}");
    assert!(said.contains("added 0,"), "{said}");
    let rebuilt = anki_check(&collection, &[v2]);
    let log = &rebuilt["imports"][0];
    assert_eq!(
        (
            log["new"].as_u64(),
            log["updated"].as_u64(),
            log["conflicting"].as_u64()
        ),
        (Some(0), Some(1), Some(0)),
        "{log}"
    );
    assert_eq!(rebuilt["counts"]["notes"], 4, "no duplicate");
    assert_eq!(rebuilt["counts"]["cards"], 5);
    let front = side(note_starting(&rebuilt, "Photosynthesis"), 0, "question");
    assert!(
        front.ends_with("takes place in the [organelle]."),
        "{front}"
    );
}
