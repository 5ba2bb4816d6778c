//! Builds the bundled example deck with deckforge's library API, into a temporary folder, and
//! prints what a build reports: `cargo run --example build_deck`.
//!
//! The same steps suit any program that makes decks: [`BuildOptions::new`] with the sources,
//! the output and the build time, a few optional settings, then [`build`]. Nothing is printed by
//! the library; the report carries the counts, the changed notes and the warnings.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use deckforge::build::{BuildOptions, build};
use deckforge::preview;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A private copy of the source, so the lock file the build writes lands there too.
    let folder = std::env::temp_dir().join(format!("deckforge-example-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let source = folder.join("mlops-interview-questions.md");
    let bundled =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mlops-interview-questions.md");
    std::fs::copy(bundled, &source)?;

    // SOURCE_DATE_EPOCH makes the package reproducible; otherwise the clock is the build time.
    let now = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value.parse()?,
        Err(_) => SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64,
    };
    let mut options = BuildOptions::new(vec![source], folder.join("mlops.apkg"), now);
    options.subdecks = true;

    let report = build(&options)?;
    for diagnostic in &report.diagnostics {
        eprintln!("{diagnostic}");
    }
    println!(
        "wrote {}: {} notes in deck \"{}\" ({})",
        report.output.display(),
        report.notes,
        report.deck_name,
        report.summary()
    );

    // The same options give a preview page of every card.
    options.output = folder.join("preview.html");
    let page = preview::preview(&options)?;
    println!(
        "wrote {}: {} cards in {} sections",
        page.output.display(),
        page.summary.cards,
        page.summary.sections
    );
    // The folder is left for you to open the package and the page; the system cleans it up.
    Ok(())
}
