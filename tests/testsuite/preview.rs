//! `deckforge preview`: a self-contained page, checked as text and in a real browser (Chromium),
//! where its script must draw all 100 cards of the seed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TempDir, deckforge, run, seed_expectations, seed_in, visible_text};

fn preview(dir: &TempDir, extra: &[&str]) -> (PathBuf, String) {
    let page = dir.join("page.html");
    let (code, stdout, stderr) = run(deckforge()
        .arg("preview")
        .arg(seed_in(dir))
        .arg("-o")
        .arg(&page)
        .args(extra));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    (page, stderr)
}

/// The card data embedded in the page.
fn page_data(page: &Path) -> Value {
    let html = fs::read_to_string(page).unwrap();
    let start_tag = r#"<script type="application/json" id="df-data">"#;
    let start = html.find(start_tag).expect("embedded data") + start_tag.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn the_page_is_self_contained_and_holds_every_card() {
    let dir = TempDir::new("preview-page");
    let (page, stderr) = preview(&dir, &[]);
    assert!(
        stderr.contains("100 cards in 21 sections of deck"),
        "{stderr}"
    );
    assert_eq!(
        dir.entries(),
        ["mlops-interview-questions.md", "page.html"],
        "a preview writes no lock file"
    );
    let html = fs::read_to_string(&page).unwrap();
    for external in ["<link", "<script src", "@import", "url(http", "src=\"http"] {
        assert!(!html.contains(external), "the page loads {external}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    assert!(
        html.contains(&fs::read_to_string(crate::support::repo("templates/style.css")).unwrap()),
        "the note type's CSS is inline"
    );
    let data = page_data(&page);
    let cards = data["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 100);
    assert_eq!(data["sections"].as_array().unwrap().len(), 21);
    for (expected, card) in seed_expectations().iter().zip(cards) {
        let front = visible_text(card["front"].as_str().unwrap());
        assert!(front.contains(&expected.question), "{front}");
        assert!(front.contains(&format!("#{}", expected.number)), "{front}");
        let back = card["back"].as_str().unwrap();
        assert!(
            back.starts_with(card["front"].as_str().unwrap()),
            "FrontSide"
        );
        assert!(back.contains("<hr id=\"answer\">"));
        assert_eq!(card["section"], expected.section.as_str());
    }
}

#[test]
fn custom_templates_and_their_mistakes_show_on_the_page() {
    let dir = TempDir::new("preview-templates");
    let design = dir.join("design");
    fs::create_dir(&design).unwrap();
    fs::write(
        design.join("front.html"),
        "<p class=\"mine\">{{Question}}</p>{{^Source}}<i>no source</i>{{/Source}}",
    )
    .unwrap();
    fs::write(
        design.join("back.html"),
        "{{FrontSide}}<b>{{Answr}}</b>\n{{#Tags}}{{/Tag}}",
    )
    .unwrap();
    let (page, stderr) = preview(&dir, &["--templates", design.to_str().unwrap()]);
    // Every problem, each naming the template file and line.
    let back = design.join("back.html").display().to_string();
    let problems: Vec<&str> = stderr.lines().filter(|l| l.contains("back.html")).collect();
    assert_eq!(problems.len(), 4, "{stderr}");
    assert!(
        problems[0].starts_with(&format!(
            "{back}:1:1: warning: {{{{Answr}}}} names no field"
        )),
        "{stderr}"
    );
    assert!(problems[1].starts_with(&format!("{back}:2:1: warning: {{{{/Tag}}}} names no field")));
    assert!(problems[2].starts_with(&format!(
        "{back}:2:1: warning: {{{{/Tag}}}} closes {{{{#Tags}}}}"
    )));
    assert!(problems[3].starts_with(&format!(
        "{back}:2:1: warning: {{{{#Tags}}}} is never closed"
    )));
    let data = page_data(&page);
    let card = &data["cards"][0];
    assert_eq!(
        card["front"],
        "<p class=\"mine\">What is MLOps?</p><i>no source</i>"
    );
    assert!(
        card["back"]
            .as_str()
            .unwrap()
            .contains("The card template has a problem")
    );
}

/// Chromium's flags for a scripted, offline, throwaway run as root.
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| on_path(name))
}

/// A Chromium to test with: `$CHROMIUM`, one on PATH, or (as root with apt-get, as on CI)
/// Debian's `chromium` installed after saying so. Without one the test fails naming what is
/// missing: a browser test that cannot run must not pass.
pub(crate) fn chromium() -> &'static Path {
    static CHROMIUM: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = CHROMIUM.get_or_init(|| {
        const REMEDY: &str = "install Chromium (apt-get install chromium) or set \
                              CHROMIUM=/path/to/chromium-or-chrome";
        if let Some(found) = find_chromium() {
            return Ok(found);
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if !root || on_path("apt-get").is_none() {
            return Err(format!(
                "the browser tests need Chromium or Chrome, and none is on PATH: {REMEDY}"
            ));
        }
        crate::support::before_installing(
            "Chromium with apt-get (Debian's `chromium`, about 390 MB, as root)",
            REMEDY,
        );
        for args in [
            &["update"][..],
            &["install", "-y", "--no-install-recommends", "chromium"],
        ] {
            let _ = Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status();
        }
        find_chromium().ok_or_else(|| format!("apt-get could not install chromium: {REMEDY}"))
    });
    match found {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

/// Runs Chromium on `url` with `args`, killing it after two minutes; returns stdout.
pub(crate) fn run_chromium(browser: &Path, profile: &TempDir, args: &[&str], url: &str) -> String {
    // Stdout goes to a file: a pipe nobody reads while we wait would fill up and block Chromium.
    let stdout_path = profile.join("stdout.html");
    let mut child = Command::new(browser)
        .args(CHROMIUM_FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            profile.join("profile").display()
        ))
        .args(args)
        .arg(url)
        .stdout(fs::File::create(&stdout_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "chromium failed: {status:?}");
    fs::read_to_string(&stdout_path).unwrap()
}

#[test]
fn chromium_draws_every_card_and_switches_to_night_mode() {
    let browser = chromium();
    let dir = TempDir::new("preview-chromium");
    let (page, _) = preview(&dir, &[]);
    let url = format!("file://{}", page.canonicalize().unwrap().display());

    let dom = run_chromium(
        browser,
        &TempDir::new("chromium-profile"),
        &["--dump-dom"],
        &url,
    );
    assert!(dom.contains("data-rendered=\"100\""), "the script ran");
    assert!(dom.contains("data-shown=\"100\""));
    assert_eq!(dom.matches("<article class=\"df-entry\"").count(), 100);
    assert_eq!(dom.matches("class=\"card card1\"").count(), 200);
    assert!(dom.contains(">100 cards</output>"), "the count");
    assert_eq!(
        dom.matches("<option value=").count(),
        22,
        "all + 21 sections"
    );
    let text = visible_text(&dom);
    for card in seed_expectations() {
        assert!(
            text.contains(&card.question),
            "Q{} is on the page",
            card.number
        );
    }
    assert!(!dom.contains("card1 nightMode"), "day mode by default");

    let night = run_chromium(
        browser,
        &TempDir::new("chromium-profile"),
        &["--dump-dom"],
        &format!("{url}#night&section=Model%20Deployment%20Strategies"),
    );
    assert_eq!(
        night
            .matches("class=\"card card1 nightMode night_mode\"")
            .count(),
        200,
        "Anki's night-mode classes on every card"
    );
    assert!(night.contains("class=\"df-page df-night\""));
    let shown: usize = night
        .split("data-shown=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("data-shown");
    let expected = seed_expectations()
        .iter()
        .filter(|c| c.section == "Model Deployment Strategies")
        .count();
    assert!(expected > 0);
    assert_eq!(shown, expected, "the section filter");
    assert!(night.contains(&format!(">{expected} of 100 cards</output>")));

    let screenshot = dir.join("page.png");
    run_chromium(
        browser,
        &TempDir::new("chromium-profile"),
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,1600",
        ],
        &url,
    );
    let png = fs::read(&screenshot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
}

/// The output format is decided once, by the command: a page named `p.apkg` is still a page of
/// every card (the plan used to read the name as a package and keep no card for the page).
#[test]
fn a_page_named_like_a_package_still_holds_every_card() {
    let dir = TempDir::new("preview-apkg-name");
    let page = dir.join("p.apkg");
    let (code, _, stderr) = run(deckforge()
        .arg("preview")
        .arg(seed_in(&dir))
        .arg("-o")
        .arg(&page));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("100 cards"), "{stderr}");
    assert_eq!(page_data(&page)["cards"].as_array().unwrap().len(), 100);
}
