//! `deckforge init` starts a project a new user can build at once, and `deckforge man` prints
//! the manual page; both are about getting started rather than about one deck.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

use deckforge::config::CONFIG_FILE;

use super::{Cli, emit, fail};

/// The starter project file: one deck, every key a new user is likely to want next shown
/// commented out, so the file teaches its own format.
const STARTER_CONFIG: &str = r#"# deckforge.toml: the decks of this project. `deckforge build` (here or in any folder below)
# builds them all; `deckforge build --locked` does the same in CI. See the README, "Projects".

[[deck]]
sources = ["notes.md"]          # read in order, into one deck; a folder or a glob works too
output = "build/notes.apkg"     # .apkg for Anki, .csv for Anki's text import (folder created)
name = "My notes"               # the deck name shown in Anki
# deck_id = "my-notes"          # permanent namespace of note identities; set it once, never change it
# subdecks = true               # each section's cards in a subdeck
# layout = "answer-label"       # as --layout; detected per file when left out
# templates = "card-design"     # a folder from `deckforge templates export card-design`
# strict = true                 # warnings fail the build

# [[deck]]                      # the same cards for Quizlet
# sources = ["notes.md"]
# output = "build/notes-quizlet.txt"
# preset = "quizlet"
"#;

/// A first source in the most common layout, whose questions build without a warning.
const STARTER_NOTES: &str = "# My notes

## Getting started

1. **What does deckforge make from this file?**
   - Answer: An Anki deck with one card per question: `deckforge build` writes build/notes.apkg.

2. **How do I update the deck after editing this file?**
   - Answer: Run `deckforge build` again and import the new package; notes update in place.

## Writing questions

3. **Which layouts does deckforge read?**
   - Answer: Numbered bold questions like these, `Q:`/`A:` lines, question headings, tables and
     more; `deckforge check notes.md` says which one it read.
";

/// Writes the starter files into `dir` (created if missing); nothing is written if either exists.
pub fn run_init(dir: &Path, quiet: bool) -> ExitCode {
    let files = [
        (dir.join(CONFIG_FILE), STARTER_CONFIG),
        (dir.join("notes.md"), STARTER_NOTES),
    ];
    if let Some((existing, _)) = files.iter().find(|(path, _)| path.exists()) {
        return fail(&format!(
            "{} exists already; nothing was written (init only starts a new project)",
            existing.display()
        ));
    }
    if let Err(error) = std::fs::create_dir_all(dir) {
        return fail(&format!("cannot create {}: {error}", dir.display()));
    }
    for (path, text) in &files {
        // `create_new`: a file that appeared since the check above is not overwritten either.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()));
        if let Err(error) = written {
            return fail(&format!("cannot write {}: {error}", path.display()));
        }
        if !quiet {
            say!("wrote {}", path.display());
        }
    }
    if !quiet {
        let cd = if dir == Path::new(".") {
            String::new()
        } else {
            format!("cd {} && ", dir.display())
        };
        say!("next: {cd}deckforge build    # writes build/notes.apkg; then import it in Anki");
    }
    ExitCode::SUCCESS
}

/// The roff man page of deckforge, or of one of its commands, on standard output.
pub fn run_man(command: Option<&str>) -> ExitCode {
    let mut cli = Cli::command();
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => match cli.find_subcommand(name) {
            // Named `deckforge-build`, as git and cargo name their commands' pages.
            // Leaked once: clap names are `&'static str` without its `string` feature, and
            // the process ends right after printing.
            Some(sub) => sub
                .clone()
                .name(&*format!("deckforge-{name}").leak())
                .version(env!("CARGO_PKG_VERSION")),
            None => return fail(&format!("no command {name:?}; see `deckforge --help`")),
        },
    };
    let mut roff = Vec::new();
    if let Err(error) = clap_mangen::Man::new(page).render(&mut roff) {
        return fail(&format!("cannot render the man page: {error}"));
    }
    emit(&String::from_utf8_lossy(&roff))
}
