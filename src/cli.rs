//! Command-line arguments and terminal output; the only place that prints or chooses exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use deckforge::Error;
use deckforge::build::{BuildOptions, LockMode, Progress, Stage, build_with_progress};
use deckforge::templates::Templates;
use deckforge::write::presets::{Preset, TextOptions};

/// Exit status for problems with input or output files (usage errors exit with 2, from clap).
const FAILURE: u8 = 1;
/// Exit status for usage mistakes clap cannot see, such as a text preset on an `.apkg`.
const USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "deckforge",
    version,
    about = "Turn question-and-answer Markdown into Anki decks that update in place",
    long_about = "Turn question-and-answer Markdown into spaced-repetition decks.\n\n\
deckforge reads numbered bold questions followed by `Answer:` bullets and writes an Anki \
package (.apkg) or an Anki CSV file. Every note gets a stable GUID derived from its deck id \
and its normalised question, so re-importing a rebuilt deck updates notes in place and keeps \
their review history.",
    after_help = "Examples:\n  deckforge build examples/mlops-interview-questions.md -o mlops.apkg\n  deckforge build notes.md -o notes.csv --deck \"My notes\""
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an Anki package (.apkg), Anki CSV (.csv) or another app's text format from Markdown.
    #[command(after_help = "Examples:\n  \
deckforge build examples/mlops-interview-questions.md -o mlops.apkg\n  \
deckforge build part1.md part2.md -o course.apkg --deck \"ML course\" --subdecks\n  \
deckforge build notes.md -o notes.csv     # for Anki's File > Import\n  \
deckforge build notes.md -o quizlet.txt --preset quizlet\n  \
deckforge build notes.md -o notes.csv --preset plain --bom   # for Excel\n\n\
The output format comes from the extension of OUT (.apkg or .csv), or from --preset. \
Each preset's import rules are in docs/presets.md. \
Set SOURCE_DATE_EPOCH for reproducible output.")]
    Build(BuildArgs),

    /// List the notes of an .apkg or a deckforge CSV: GUID, deck, tags, fields.
    #[command(after_help = "Examples:\n  \
deckforge inspect mlops.apkg\n  \
deckforge inspect mlops.apkg --json | jq '.notes | length'\n\n\
Packages are read safely: entries with path components are refused, the collection's size is capped, \
and it is opened read-only in a private temporary folder.")]
    Inspect {
        /// The .apkg or .csv file to read.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },

    /// Compare two versions of a deck (two Markdown sources, or two packages/CSVs) by question.
    #[command(after_help = "Examples:\n  \
deckforge diff old/notes.md notes.md       # what a rebuild would change\n  \
deckforge diff v1.apkg v2.apkg --json\n\n\
Sources are compared with the same identity rules as a rebuild (rewordings are matched); packages by GUID.")]
    Diff {
        /// The earlier version.
        old: PathBuf,
        /// The later version.
        new: PathBuf,
        /// Deck id to namespace GUIDs when comparing sources [default: as `build` picks it].
        #[arg(long, value_name = "ID")]
        deck_id: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Markdown files to read; their cards go into one deck, in order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// Output file: `.apkg` for an Anki package, `.csv` for Anki's text import.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,

    /// Deck name shown in Anki [default: the first input's title].
    #[arg(long, value_name = "NAME")]
    deck: Option<String>,

    /// Permanent deck id that keeps note identities stable [default: front matter `deck_id`,
    /// then the first input's file name]. Change it and every note becomes a new note.
    #[arg(long, value_name = "ID")]
    deck_id: Option<String>,

    /// Put each section's cards in a subdeck (Deck::Section).
    #[arg(long)]
    subdecks: bool,

    /// Keep raw HTML from the sources as it is instead of sanitising it (trusted sources only).
    #[arg(long)]
    allow_html: bool,

    /// Treat warnings as errors: nothing is written when there is any.
    #[arg(long)]
    strict: bool,

    /// Lock file that remembers GUIDs and modification times between builds
    /// [default: <first input's stem>.deckforge.lock beside it]. Commit it with your Markdown.
    #[arg(long, value_name = "PATH", conflicts_with = "no_lock")]
    lock: Option<PathBuf>,

    /// Build without a lock file: GUIDs from hashes alone, every note stamped with the build time
    /// (Anki then overwrites edits made inside Anki on every import).
    #[arg(long)]
    no_lock: bool,

    /// Fail, writing nothing, when the lock file would change (for CI).
    #[arg(long, conflicts_with = "no_lock")]
    locked: bool,

    /// Folder whose front.html, back.html and style.css replace the built-in card design
    /// (any subset). A change updates the note type in Anki without forking it.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,

    /// Write the text format of another flashcard app instead of choosing by OUT's extension.
    #[arg(long, value_name = "NAME", value_parser = preset_parser())]
    preset: Option<Preset>,

    /// Start a text output with a UTF-8 byte order mark, so spreadsheets read it as UTF-8.
    #[arg(long)]
    bom: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Build(args) => run_build(args),
        Command::Inspect { file, json } => run_inspect(&file, json),
        Command::Diff {
            old,
            new,
            deck_id,
            json,
        } => run_diff(&old, &new, deck_id.as_deref(), json),
    }
}

fn run_inspect(file: &std::path::Path, json: bool) -> ExitCode {
    let inspection = match deckforge::inspect::inspect(file) {
        Ok(inspection) => inspection,
        Err(error) => return fail(&error.to_string()),
    };
    if json {
        let value = serde_json::json!({
            "path": inspection.path,
            "format": inspection.format,
            "notes": inspection.notes.iter().map(|n| serde_json::json!({
                "guid": n.guid, "deck": n.deck, "notetype": n.notetype, "tags": n.tags,
                "modified": n.modified,
                "fields": n.fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
        });
        emit(&format!("{value:#}\n"))
    } else {
        let mut out = String::new();
        for note in &inspection.notes {
            out.push_str(&format!(
                "{}  [{}]  {}\n",
                note.guid,
                note.deck,
                note.tags.join(" ")
            ));
            for (name, value) in &note.fields {
                if !value.is_empty() {
                    out.push_str(&format!("    {name}: {}\n", one_line(value)));
                }
            }
        }
        out.push_str(&format!(
            "{} notes in {}\n",
            inspection.notes.len(),
            inspection.path.display()
        ));
        emit(&out)
    }
}

/// Writes to stdout; a closed pipe (`deckforge inspect x.apkg | head`) is not an error.
fn emit(text: &str) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write to standard output: {e}")),
    }
}

fn run_diff(
    old: &std::path::Path,
    new: &std::path::Path,
    deck_id: Option<&str>,
    json: bool,
) -> ExitCode {
    let report = match deckforge::diff::diff(old, new, deck_id) {
        Ok(report) => report,
        Err(error) => return fail(&error.to_string()),
    };
    if json {
        return emit(&format!(
            "{:#}\n",
            serde_json::to_value(&report).unwrap_or_default()
        ));
    }
    let mut out = String::new();
    for change in &report.changes {
        match &change.previous {
            Some(previous) => out.push_str(&format!(
                "{:<9} {previous} -> {}\n",
                change.change, change.question
            )),
            None => out.push_str(&format!("{:<9} {}\n", change.change, change.question)),
        }
    }
    let c = &report.counts;
    out.push_str(&format!(
        "added {}, updated {}, reworded {}, removed {}, unchanged {}\n",
        c.added, c.updated, c.reworded, c.removed, c.unchanged
    ));
    emit(&out)
}

/// A field value on one terminal line: tags dropped, whitespace collapsed, long values cut.
fn one_line(html: &str) -> String {
    let text = deckforge::write::anki_text::strip_html_preserving_media_filenames(html);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 120 {
        text.chars().take(117).collect::<String>() + "..."
    } else {
        text
    }
}

fn run_build(args: BuildArgs) -> ExitCode {
    let now = match build_time() {
        Ok(now) => now,
        Err(message) => return fail(&message),
    };
    let templates = match &args.templates {
        Some(dir) => match Templates::from_dir(dir) {
            Ok(templates) => templates,
            Err(error) => return fail(&error.to_string()),
        },
        None => Templates::default(),
    };
    let lock = match (args.no_lock, args.lock) {
        (true, _) => LockMode::Off,
        (false, Some(path)) => LockMode::At(path),
        (false, None) => LockMode::BesideSource,
    };
    let options = BuildOptions {
        inputs: args.inputs,
        output: args.output,
        deck_name: args.deck,
        deck_id: args.deck_id,
        subdecks: args.subdecks,
        allow_html: args.allow_html,
        strict: args.strict,
        lock,
        locked: args.locked,
        now,
        templates,
        text: TextOptions {
            preset: args.preset,
            bom: args.bom,
        },
    };
    let bar = BuildProgress::new(args.quiet);
    let result = build_with_progress(&options, &|progress| bar.report(progress));
    bar.bar.finish_and_clear();
    match result {
        Ok(report) => {
            if !args.quiet {
                for diagnostic in &report.diagnostics {
                    eprintln!("{diagnostic}");
                }
                for change in &report.changes {
                    match (change.change, &change.previous) {
                        ("reworded", Some(previous)) => {
                            eprintln!("reworded: {previous:?} -> {:?}", change.question)
                        }
                        ("removed", _) => eprintln!(
                            "removed: {:?} (kept in the package, tagged deckforge::removed)",
                            change.question
                        ),
                        _ => {}
                    }
                }
                eprintln!(
                    "wrote {}: {} notes in deck \"{}\" ({})",
                    report.output.display(),
                    report.notes,
                    report.deck_name,
                    report.summary()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error @ Error::TextOptionOnPackage { .. }) => {
            eprintln!("error: {error}");
            ExitCode::from(USAGE)
        }
        Err(error) => {
            if let Error::Strict { diagnostics } = &error {
                for diagnostic in diagnostics {
                    eprintln!("{diagnostic}");
                }
            }
            fail(&error.to_string())
        }
    }
}

/// A progress bar on stderr for builds that take more than a moment. indicatif redraws at a
/// bounded rate whichever thread reports, and draws nothing when stderr is not a terminal.
struct BuildProgress {
    bar: indicatif::ProgressBar,
    /// Not with `--quiet`, nor when stderr is a file or a pipe.
    visible: bool,
    started: std::time::Instant,
    stage: std::sync::Mutex<Option<Stage>>,
}

impl BuildProgress {
    /// Quick builds finish before the bar would appear, so they print as before.
    const DELAY: std::time::Duration = std::time::Duration::from_millis(300);

    fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        let visible = !quiet && std::io::stderr().is_terminal();
        // Hidden until the build has taken a moment; see `report`.
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>11} [{bar:30}] {percent:>3}%  {human_pos}/{human_len}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        BuildProgress {
            bar,
            visible,
            started: std::time::Instant::now(),
            stage: std::sync::Mutex::new(None),
        }
    }

    fn report(&self, progress: Progress) {
        if !self.visible || self.started.elapsed() < Self::DELAY {
            return;
        }
        let mut stage = self.stage.lock().unwrap_or_else(|e| e.into_inner());
        if *stage != Some(progress.stage) {
            self.bar.set_message(match progress.stage {
                Stage::Rendering => "rendering",
                Stage::Writing => "writing",
                Stage::Compressing => "compressing",
            });
            self.bar.set_length(progress.total);
            if stage.is_none() {
                self.bar
                    .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            *stage = Some(progress.stage);
        }
        self.bar.set_position(progress.done);
    }
}

/// `--preset` values with their one-line descriptions, listed by `--help`.
fn preset_parser() -> impl TypedValueParser<Value = Preset> {
    PossibleValuesParser::new(
        Preset::ALL.map(|preset| PossibleValue::new(preset.name()).help(preset.summary())),
    )
    .map(|name| {
        name.parse::<Preset>()
            .expect("only listed names get through")
    })
}

/// `SOURCE_DATE_EPOCH` when set (reproducible builds), otherwise the clock; read once.
fn build_time() -> Result<i64, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|&t| t >= 0)
            .ok_or_else(|| format!("SOURCE_DATE_EPOCH must be a number of seconds, got {value:?}")),
        Err(_) => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(FAILURE)
}
