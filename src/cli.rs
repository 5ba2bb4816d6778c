//! Command-line arguments and terminal output; the only place that prints or chooses exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};

use deckforge::Severity;
use deckforge::build::{BuildOptions, build};
use deckforge::check::check_files;
use deckforge::source::LayoutChoice;
use deckforge::templates::Templates;

/// Exit status for problems with input or output files (usage errors exit with 2, from clap).
const FAILURE: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "deckforge",
    version,
    about = "Turn question-and-answer Markdown into Anki decks that update in place",
    long_about = "Turn question-and-answer Markdown into spaced-repetition decks.\n\n\
deckforge reads the question-and-answer layouts people write (numbered bold questions with \
`Answer:` bullets, question headings, numbered items holding headings, bold paragraphs, `Q:`/`A:` \
lines, `<details>` FAQ blocks), detected per file, and writes an Anki package (.apkg) or an Anki \
CSV file. `deckforge check` reports what is wrong with a file. Every note gets a stable GUID derived from its deck id \
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
    /// Build an Anki package (.apkg) or Anki CSV (.csv) from Markdown files.
    #[command(after_help = "Examples:\n  \
deckforge build examples/mlops-interview-questions.md -o mlops.apkg\n  \
deckforge build part1.md part2.md -o course.apkg --deck \"ML course\" --subdecks\n  \
deckforge build notes.md -o notes.csv     # for Anki's File > Import\n\n\
The output format comes from the extension of OUT. Set SOURCE_DATE_EPOCH for reproducible output.")]
    Build(BuildArgs),
    /// Report what is wrong with Markdown files without building anything.
    #[command(
        after_help = "Prints one line per problem, `path:line:col: warning|error: message`: \
duplicate questions, missing or placeholder answers, answers that look truncated, numbering gaps \
and repeats, and HTML the sanitiser would strip. Exits with 1 only when there is an error (a file \
that cannot be read or holds no questions).\n\nExamples:\n  deckforge check notes.md\n  \
deckforge check --layout headings faq/*.md"
    )]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Markdown files to check.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// How questions are written (see `deckforge build --help`) [default: auto].
    #[arg(long, value_name = "NAME", default_value = "auto")]
    layout: LayoutChoice,

    /// Do not report raw HTML (for sources built with --allow-html).
    #[arg(long)]
    allow_html: bool,
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

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,

    /// How questions are written: auto, answer-label, q-a, list-headings, details,
    /// bold-paragraph or headings [default: auto, detected per file].
    #[arg(long, value_name = "NAME", default_value = "auto")]
    layout: LayoutChoice,
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Build(args) => run_build(args),
        Command::Check(args) => run_check(args),
    }
}

fn run_check(args: CheckArgs) -> ExitCode {
    let diagnostics = check_files(&args.inputs, args.layout, args.allow_html);
    for diagnostic in &diagnostics {
        println!("{diagnostic}");
    }
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        ExitCode::from(FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_build(args: BuildArgs) -> ExitCode {
    let now = match build_time() {
        Ok(now) => now,
        Err(message) => return fail(&message),
    };
    let options = BuildOptions {
        inputs: args.inputs,
        output: args.output,
        deck_name: args.deck,
        deck_id: args.deck_id,
        subdecks: args.subdecks,
        allow_html: args.allow_html,
        strict: args.strict,
        now,
        templates: Templates::default(),
        layout: args.layout,
    };
    match build(&options) {
        Ok(report) => {
            if !args.quiet {
                for diagnostic in &report.diagnostics {
                    eprintln!("{diagnostic}");
                }
                eprintln!(
                    "wrote {}: {} notes in deck \"{}\"",
                    report.output.display(),
                    report.notes,
                    report.deck_name
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
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
