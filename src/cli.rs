//! Command-line arguments and terminal output; the only place that prints or chooses exit codes.

/// `eprintln!` that ignores a closed standard error (`deckforge build … 2>&1 | head -1`)
/// instead of panicking: the exit code still tells the outcome.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod author;
mod init;
mod inputs;
mod live;
mod options;
mod term;
mod timings;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use deckforge::build::{
    BuildOptions, BuildReport, ChangeKind, LockMode, Progress, Stage, build_into,
    build_with_progress,
};
use deckforge::check::check_report;
use deckforge::lock::LATEST_TIME;
use deckforge::source::LayoutChoice;
use deckforge::templates::Templates;
use deckforge::write::presets::{Preset, TextOptions};
use deckforge::{Error, Severity};

use author::{PreviewArgs, TemplatesCommand};
use options::{ExcludeArg, GlobalArgs, LayoutArg};

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
deckforge reads the question-and-answer layouts people write (numbered bold questions with \
`Answer:` bullets, question headings, numbered items holding headings, bold paragraphs, `Q:`/`A:` \
lines, `<details>` FAQ blocks), detected per file, and writes an Anki package (.apkg), an Anki \
CSV file or another flashcard app's text format (--preset). `deckforge check` reports what is wrong with a file. Every note gets a stable GUID derived from its deck id \
and its normalised question, so re-importing a rebuilt deck updates notes in place and keeps \
their review history.",
    after_help = "Examples:\n  \
deckforge build examples/mlops-interview-questions.md -o mlops.apkg\n  \
deckforge build notes.md -o notes.csv --deck \"My notes\"\n  \
deckforge build                      # every deck listed in ./deckforge.toml (or a parent's)\n  \
deckforge preview notes.md -o notes.html\n  \
deckforge diff old/notes.md notes.md\n\n\
Run `deckforge help <COMMAND>` for a command's options and examples."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an Anki package (.apkg), Anki CSV (.csv) or another app's text format from Markdown.
    #[command(after_help = "Examples:\n  \
deckforge build examples/mlops-interview-questions.md -o mlops.apkg\n  \
deckforge build part1.md part2.md -o course.apkg --deck \"ML course\" --subdecks\n  \
deckforge build notes.md -o notes.csv     # for Anki's File > Import\n  \
deckforge build notes.md -o quizlet.txt --preset quizlet\n  \
deckforge build notes.md -o notes.csv --preset plain --bom   # for Excel\n  \
deckforge build notes.md -o notes.apkg --json | jq .counts\n  \
deckforge build                     # every deck of ./deckforge.toml, or of a parent folder's\n  \
deckforge build --locked            # the same in CI: fail if a committed lock is out of date\n\n\
The output format comes from the extension of OUT (.apkg or .csv), or from --preset. \
Each preset's import rules are in docs/presets.md. \
Without INPUT, the decks of the nearest deckforge.toml are built (see README, \"Projects\"). \
Set SOURCE_DATE_EPOCH for reproducible output.")]
    Build(BuildArgs),

    /// Report what is wrong with Markdown files without building anything.
    #[command(
        after_help = "Prints one line per problem, `path:line:col: warning|error: message`: \
duplicate questions, missing or placeholder answers, answers that look truncated, numbering gaps \
and repeats, HTML the sanitiser would strip, and malformed clozes (`{{c1::` never closed, \
`{{c0::`, `==…==` inside code). How each file was read (its layout and card count) goes to \
standard error. Exits with 1 when there is an error (a file that cannot be read or holds no \
questions), or with --strict any warning.\n\nExamples:\n  deckforge check notes.md\n  \
deckforge check --layout headings faq/*.md"
    )]
    Check(CheckArgs),

    /// List the notes of an .apkg or of any text deck deckforge writes, in deck order: GUID, deck, tags, fields.
    #[command(after_help = "Examples:\n  \
deckforge inspect mlops.apkg\n  \
deckforge inspect quizlet.txt              # every --preset's format, told by its content\n  \
deckforge inspect mlops.apkg --json | jq '.notes | length'\n\n\
Text decks are recognised by their content: Anki CSV (#separator: headers), plain (its id,question,... \
header), Brainscape (two columns), Quizlet and Mnemosyne (question TAB answer), SuperMemo (Q:/A: lines); \
a file that fits none is refused rather than misread. Packages are read safely: entries with path components are refused, the collection's size is capped, \
and it is opened read-only in a private temporary folder.")]
    Inspect {
        /// The .apkg, .csv or text-preset file to read.
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
        #[command(flatten)]
        layout: LayoutArg,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },

    /// Write one HTML page showing every card through the note type's templates, to check a deck
    /// without importing it.
    #[command(after_help = "Examples:\n  \
deckforge preview examples/mlops-interview-questions.md -o preview.html\n  \
deckforge preview notes.md -o preview.html --templates my-design --subdecks\n\n\
The page is self-contained (no network): open it in any browser. It has a section filter, a \
search box, a card count and a night-mode switch that sets Anki's `nightMode` class. \
Open `preview.html#night` to start in night mode. Nothing else is written, not even the lock file.")]
    Preview(PreviewArgs),

    /// Work with the card design: export the default templates to edit them.
    #[command(after_help = "Examples:\n  \
deckforge templates export my-design\n  \
deckforge build notes.md -o notes.apkg --templates my-design")]
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },

    /// Stop shipping the notes of removed questions: drop their records from lock files.
    #[command(after_help = "Examples:\n  \
deckforge prune notes.deckforge.lock\n\n\
A removed question's note ships, without a card and tagged deckforge::removed, for 90 days after \
its removal, so learners learn it was retired (search `tag:deckforge::removed` in Anki to delete \
them all). Prune once your learners have imported a build that retired them.")]
    Prune {
        /// The lock files to prune.
        #[arg(required = true, value_name = "LOCK")]
        locks: Vec<PathBuf>,
    },

    /// Build, then deliver the deck into a running Anki through the AnkiConnect add-on.
    #[command(after_help = "Examples:\n  \
deckforge push notes.md                 # builds notes.apkg, then imports it into Anki\n  \
deckforge push notes.md --move          # also moves cards whose section moved\n  \
deckforge push --prune                  # every deck of ./deckforge.toml; asks before deleting\n  \
deckforge push notes.md --url http://127.0.0.1:8766\n\n\
Anki must be running with the AnkiConnect add-on (code 2055492159). Anki adds new notes and \
updates changed ones by GUID, as a file import does; push then gives notes Anki kept (a learner's \
tag makes a note newer) the sources' fields, and puts back the tags a learner added, which an \
import replaces. Retired questions are deleted only with --prune, and cards are moved only with \
--move. See README, \"Live editing\".")]
    Push(live::PushArgs),

    /// Rebuild decks whenever a source, template or image changes (and push them with --push).
    #[command(after_help = "Examples:\n  \
deckforge watch notes.md                # rebuilds notes.apkg on every save\n  \
deckforge watch notes.md --push         # and puts each build into the running Anki\n  \
deckforge watch                         # every deck of ./deckforge.toml\n\n\
Each deck is built once at the start, then again when one of its sources, a file of its \
templates folder, or a file beside or below its sources (an image) changes; deckforge.toml \
changes rebuild every deck. A rebuild that fails says why and leaves the previous output as it \
was. Stop with Ctrl-C.")]
    Watch(live::WatchArgs),

    /// Serve the preview page on 127.0.0.1; it reloads itself whenever a source changes.
    #[command(after_help = "Examples:\n  \
deckforge serve notes.md                # then open http://127.0.0.1:8700/\n  \
deckforge serve notes.md --port 0       # any free port (printed)\n  \
deckforge serve                         # every deck of ./deckforge.toml: /deck/0/, /deck/1/, ...\n\n\
The page is `deckforge preview`'s, with math drawn as MathML (rendered offline by the browser; \
the Anki cards keep MathJax) and images served from the deck's source folder only. Nothing is \
written, not even the lock file. Run `deckforge watch --push` beside it to update Anki as well.")]
    Serve(live::ServeArgs),

    /// Start a project: write a deckforge.toml and a first notes.md to build at once.
    #[command(after_help = "Examples:\n  \
deckforge init                 # in the current folder\n  \
deckforge init my-deck && cd my-deck && deckforge build\n\n\
Nothing is written when either file exists already.")]
    Init {
        /// The folder to start the project in (created if missing).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },

    /// Print the manual page (roff) to standard output.
    #[command(after_help = "Examples:\n  \
deckforge man > deckforge.1 && man ./deckforge.1\n  \
deckforge man build > deckforge-build.1\n  \
deckforge man | sudo tee /usr/local/share/man/man1/deckforge.1 >/dev/null")]
    Man {
        /// A command to print the page of (deckforge-build, ...) instead of deckforge's.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },

    /// Print a shell completion script to standard output.
    #[command(after_help = "Examples:\n  \
deckforge completions bash > ~/.local/share/bash-completion/completions/deckforge\n  \
deckforge completions zsh > ~/.zfunc/_deckforge      # with fpath+=~/.zfunc in .zshrc\n  \
deckforge completions fish > ~/.config/fish/completions/deckforge.fish\n  \
deckforge completions powershell >> $PROFILE\n  \
deckforge completions elvish >> ~/.config/elvish/rc.elv")]
    Completions {
        /// The shell to complete for.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Markdown files to check: files, folders (every .md file below) or globs.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    #[command(flatten)]
    exclude: ExcludeArg,

    #[command(flatten)]
    layout: LayoutArg,

    /// Exit with 1 when there is any warning, not only on errors.
    #[arg(long)]
    strict: bool,

    /// Do not report raw HTML (for sources built with --allow-html).
    #[arg(long)]
    allow_html: bool,

    /// Print JSON for scripts: how each file was read (layout, card count) and the diagnostics.
    #[arg(long)]
    json: bool,
}

/// The options that shape a deck, shared by `build` and `preview` so both show the same cards.
#[derive(Debug, Clone, Args)]
pub(crate) struct DeckArgs {
    /// Deck name shown in Anki [default: the first input's title].
    #[arg(long, value_name = "NAME")]
    deck: Option<String>,

    /// Permanent deck id that keeps note identities stable [default: front matter `deck_id`,
    /// then the lock's, then the first input's folder and the inputs' names]. Once a lock
    /// exists a different id is refused; start a genuinely new deck with a new `--lock`.
    #[arg(long, value_name = "ID")]
    deck_id: Option<String>,

    /// Put each section's cards in a subdeck (Deck::Section).
    #[arg(long)]
    subdecks: bool,

    /// Keep raw HTML from the sources as it is instead of sanitising it (trusted sources only).
    #[arg(long)]
    allow_html: bool,

    /// Leave fenced code uncoloured. By default code in a known language (```rust, ```python,
    /// ```sh, …) is highlighted when the deck is built, as classed spans the card's CSS colours
    /// in day and night mode: no JavaScript runs in the card.
    #[arg(long)]
    no_highlight: bool,

    /// Folder whose front.html, back.html and style.css replace the built-in card design
    /// (any subset). A change updates the note type in Anki without forking it.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

impl DeckArgs {
    /// Sets these options on `options`; a templates folder that cannot be read is printed as
    /// an error and returned as the exit code.
    pub(crate) fn apply(self, options: &mut BuildOptions) -> Result<(), ExitCode> {
        if let Some(dir) = &self.templates {
            options.templates =
                Templates::from_dir(dir).map_err(|error| fail(&error.to_string()))?;
        }
        options.deck_name = self.deck;
        options.deck_id = self.deck_id;
        options.subdecks = self.subdecks;
        options.allow_html = self.allow_html;
        options.highlight = !self.no_highlight;
        Ok(())
    }

    /// The flags given, by name, for a project build to refuse.
    fn given(&self) -> Vec<&'static str> {
        [
            (self.deck.is_some(), "--deck"),
            (self.deck_id.is_some(), "--deck-id"),
            (self.subdecks, "--subdecks"),
            (self.allow_html, "--allow-html"),
            (self.no_highlight, "--no-highlight"),
            (self.templates.is_some(), "--templates"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Markdown files to read, folders (every .md file below, sorted) or globs; their cards go
    /// into one deck, in order. Without any, every deck of the nearest deckforge.toml is built.
    #[arg(value_name = "INPUT", requires = "output")]
    inputs: Vec<PathBuf>,

    #[command(flatten)]
    exclude: ExcludeArg,

    /// Output file: `.apkg` for an Anki package, `.csv` for Anki's text import. `-` (or
    /// /dev/stdout) writes a text output (Anki's CSV, or --preset) to standard output. An INPUT
    /// of `-` (or /dev/stdin) is read from standard input, with --lock PATH or --no-lock.
    #[arg(short, long, value_name = "OUT", requires = "inputs")]
    output: Option<PathBuf>,

    /// Build the decks of this project file instead of searching for deckforge.toml.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["inputs", "output"])]
    config: Option<PathBuf>,

    #[command(flatten)]
    deck: DeckArgs,

    /// Treat warnings as errors: nothing is written when there is any.
    #[arg(long)]
    strict: bool,

    /// Lock file that remembers GUIDs and modification times between builds
    /// [default: <deck id>.deckforge.lock beside the first input, else named after the inputs:
    /// notes.deckforge.lock, rust+git.deckforge.lock]. Commit it with your Markdown.
    #[arg(long, value_name = "PATH", conflicts_with = "no_lock")]
    lock: Option<PathBuf>,

    /// Build without a lock file: GUIDs from hashes alone, every note stamped with the build time
    /// (Anki then overwrites edits made inside Anki on every import).
    #[arg(long)]
    no_lock: bool,

    /// Fail, writing nothing, when the lock file would change (for CI).
    #[arg(long, conflicts_with = "no_lock")]
    locked: bool,

    /// CSV and other text outputs: write only the notes added or changed since the lock, so
    /// re-importing leaves the edits made in Anki to every other note alone.
    #[arg(long, conflicts_with = "no_lock")]
    changed_only: bool,

    /// Write the text format of another flashcard app instead of choosing by OUT's extension.
    #[arg(long, value_name = "NAME", value_parser = preset_parser())]
    preset: Option<Preset>,

    /// Start a text output with a UTF-8 byte order mark, so spreadsheets read it as UTF-8.
    #[arg(long)]
    bom: bool,

    #[command(flatten)]
    layout: LayoutArg,

    /// Also list every added, updated, reworded and removed note.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,

    /// Download remote images (`![](https://…)`) into the package: up to 10 MiB each and
    /// 100 MiB in all, 20 s each (DECKFORGE_DOWNLOAD_TIMEOUT sets other seconds), packed only
    /// if they are images by content. One that cannot be downloaded stays a link, with a
    /// warning. Without this flag every remote image is written as a link to it: an image that
    /// loaded from the web whenever a card is shown would tell its host. Use it only for
    /// sources you trust: it fetches whatever URLs they name.
    #[arg(long)]
    download_images: bool,

    /// Print the build report as JSON on standard output (an array with one report per deck
    /// when building a deckforge.toml project).
    #[arg(long)]
    json: bool,
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    term::init(cli.global.color);
    let quiet = cli.global.quiet;
    match cli.command {
        Command::Build(args) => run_build(args, quiet),
        Command::Check(args) => run_check(args, quiet),
        Command::Preview(args) => author::run_preview(args, quiet),
        Command::Templates { command } => author::run_templates(command),
        Command::Completions { shell } => author::run_completions(shell),
        Command::Init { dir } => init::run_init(&dir, quiet),
        Command::Man { command } => init::run_man(command.as_deref()),
        Command::Prune { locks } => run_prune(&locks, quiet),
        Command::Push(args) => live::run_push(args, quiet),
        Command::Watch(args) => live::run_watch(args, quiet),
        Command::Serve(args) => live::run_serve(args),
        Command::Inspect { file, json } => run_inspect(&file, json),
        Command::Diff {
            old,
            new,
            deck_id,
            layout,
            json,
        } => run_diff(&old, &new, deck_id.as_deref(), layout.layout, json),
    }
}

fn run_prune(locks: &[PathBuf], quiet: bool) -> ExitCode {
    for lock in locks {
        match deckforge::lock::prune(lock) {
            Ok(_) if quiet => {}
            Ok(dropped) => say!(
                "{}: dropped {dropped} removed question(s); later builds no longer ship them",
                lock.display()
            ),
            Err(error) => return fail(&error.to_string()),
        }
    }
    ExitCode::SUCCESS
}

fn run_inspect(file: &std::path::Path, json: bool) -> ExitCode {
    if is_source(file) {
        return usage(&format!(
            "{}: inspect reads a built deck (.apkg, .csv, .txt); for a Markdown source run \
             `deckforge check {0}` (how it is read) or `deckforge preview {0} -o preview.html`",
            term::printable(&file.display().to_string())
        ));
    }
    let inspection = match deckforge::inspect::inspect(file) {
        Ok(inspection) => inspection,
        Err(error) => return fail_with(&error),
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
        for (index, note) in inspection.notes.iter().enumerate() {
            // Everything from the package is escaped: fields, tags and GUIDs may hold escape
            // sequences, raw or as entities (`&#27;`) that turning HTML into text decodes.
            // Text formats other than Anki's carry no GUID, deck or tags: those parts are left out.
            let mut head = vec![if note.guid.is_empty() {
                format!("#{}", index + 1)
            } else {
                term::printable(&note.guid).to_string()
            }];
            if !note.deck.is_empty() {
                head.push(format!("[{}]", term::printable(&note.deck)));
            }
            if !note.tags.is_empty() {
                head.push(term::printable(&note.tags.join(" ")).into_owned());
            }
            out.push_str(&head.join("  "));
            out.push('\n');
            for (name, value) in &note.fields {
                if !value.is_empty() {
                    out.push_str(&format!(
                        "    {}: {}\n",
                        term::printable(name),
                        term::printable(&one_line(value, inspection.html))
                    ));
                }
            }
        }
        out.push_str(&format!(
            "{} notes in {} ({})\n",
            inspection.notes.len(),
            inspection.path.display(),
            inspection.format
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
    layout: LayoutChoice,
    json: bool,
) -> ExitCode {
    if deckforge::diff::is_markdown(old) != deckforge::diff::is_markdown(new) {
        let (source, deck) = if deckforge::diff::is_markdown(old) {
            (old, new)
        } else {
            (new, old)
        };
        return usage(&format!(
            "diff compares two Markdown sources or two built decks, not one of each; build {} \
             first (`deckforge build {} -o NEW.apkg`), then diff NEW.apkg with {}",
            term::printable(&source.display().to_string()),
            term::printable(&source.display().to_string()),
            term::printable(&deck.display().to_string())
        ));
    }
    let report = match deckforge::diff::diff(old, new, deck_id, layout) {
        Ok(report) => report,
        Err(error) => return fail_with(&error),
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
/// Blocks stay apart, table cells with ` | ` and rows with ` / ` (as the Quizlet preset writes
/// them), so `<td>a</td><td>b</td>` does not read `ab`; lines of plain text are kept apart
/// with ` / ` too.
fn one_line(value: &str, html: bool) -> String {
    if !html {
        let lines: Vec<String> = value
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect();
        return cut(lines.join(" / "));
    }
    let mut spaced = value.replace("<br", " <br");
    for (tag, separator) in [
        ("</td>", "\u{1}"),
        ("</th>", "\u{1}"),
        ("</tr>", "\u{2}"),
        ("</p>", " "),
        ("</li>", " "),
        ("</div>", " "),
        ("</pre>", " "),
        ("</blockquote>", " "),
    ] {
        spaced = spaced.replace(tag, &format!("{tag}{separator}"));
    }
    let text = deckforge::write::anki_text::strip_html_preserving_media_filenames(&spaced);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // A row's last cell needs no cell separator, and the last row no row separator.
    let text = text
        .replace("\u{1} \u{2}", "\u{2}")
        .replace("\u{1}\u{2}", "\u{2}")
        .trim_end_matches(['\u{1}', '\u{2}', ' '])
        .replace('\u{1}', " | ")
        .replace('\u{2}', " / ");
    cut(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Cuts a long value to 120 characters.
fn cut(text: String) -> String {
    if text.chars().count() > 120 {
        text.chars().take(117).collect::<String>() + "..."
    } else {
        text
    }
}

fn run_check(args: CheckArgs, quiet: bool) -> ExitCode {
    let inputs = match args.exclude.expand(&args.inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let report = check_report(&inputs, args.layout.layout, args.allow_html);
    let text = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
    } else {
        // How each file was read goes to standard error, so standard output stays diagnostics.
        for file in report.files.iter().filter(|f| f.layout.is_some() && !quiet) {
            let counts = if file.cards == file.notes {
                format!("{} cards", file.cards)
            } else {
                format!("{} cards from {} notes", file.cards, file.notes)
            };
            eprintln!(
                "{}: {counts}, read as {}",
                term::printable(&file.path.display().to_string()),
                file.layout.unwrap_or_default()
            );
        }
        report
            .diagnostics
            .iter()
            .map(|d| format!("{}\n", term::printable(&d.to_string())))
            .collect()
    };
    let printed = emit(&text);
    if report
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error || args.strict)
    {
        ExitCode::from(FAILURE)
    } else {
        printed
    }
}

fn run_build(args: BuildArgs, quiet: bool) -> ExitCode {
    let now = match build_time() {
        Ok(now) => now,
        Err(message) => return fail(&message),
    };
    let output = BuildOutput {
        verbosity: match (quiet, args.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        },
        json: args.json,
    };
    let Some(output_path) = args.output else {
        return author::run_project(&args_for_project(&args), now, output);
    };
    let inputs = match args.exclude.expand(&args.inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let mut options = BuildOptions::new(inputs, output_path, now);
    if let Err(code) = args.deck.apply(&mut options) {
        return code;
    }
    options.lock = match (args.no_lock, args.lock) {
        (true, _) => LockMode::Off,
        (false, Some(path)) => LockMode::At(path),
        (false, None) => LockMode::BesideSource,
    };
    options.strict = args.strict;
    options.locked = args.locked;
    options.changed_only = args.changed_only;
    options.download_images = args
        .download_images
        .then(deckforge::render::remote::DownloadLimits::from_env);
    options.text = TextOptions {
        preset: args.preset,
        bom: args.bom,
    };
    options.layout = args.layout.layout;
    if output.json && deckforge::input::is_stdout(&options.output) {
        return fail(&format!(
            "{}: --json and a text output on standard output would both write there; name an \
             output file, or leave out --json",
            options.output.display()
        ));
    }
    match build_one(&options, output) {
        Ok(report) if output.json => emit(&format!("{:#}\n", report_json(&report))),
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The `build` options that make sense without INPUT, for a deckforge.toml project; the rest
/// are named so the project build can refuse them instead of silently ignoring them.
fn args_for_project(args: &BuildArgs) -> author::ProjectArgs {
    let mut refused = args.deck.given();
    refused.extend(
        [
            (args.lock.is_some(), "--lock"),
            (args.no_lock, "--no-lock"),
            (args.preset.is_some(), "--preset"),
            (args.bom, "--bom"),
            (args.changed_only, "--changed-only"),
            (args.download_images, "--download-images"),
            (!args.exclude.exclude.is_empty(), "--exclude"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name)),
    );
    author::ProjectArgs {
        config: args.config.clone(),
        strict: args.strict,
        locked: args.locked,
        refused,
    }
}

/// How much a build prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verbosity {
    /// Errors only.
    Quiet,
    /// Warnings, rewordings, removals and the summary.
    Normal,
    /// Also every added and updated note.
    Verbose,
}

/// What to print around a build.
#[derive(Debug, Clone, Copy)]
struct BuildOutput {
    verbosity: Verbosity,
    json: bool,
}

/// The report as JSON, as `--json` prints it.
fn report_json(report: &BuildReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

/// Runs one build and prints its messages; on failure the error is already printed.
fn build_one(options: &BuildOptions, output: BuildOutput) -> Result<BuildReport, ExitCode> {
    let bar = BuildProgress::new(output.verbosity == Verbosity::Quiet);
    let result = if deckforge::input::is_stdout(&options.output) {
        let stdout = std::io::stdout();
        let mut stdout = stdout.lock();
        build_into(options, &|progress| bar.report(progress), &mut stdout)
    } else {
        build_with_progress(options, &|progress| bar.report(progress))
    };
    bar.bar.finish_and_clear();
    if let Some(timings) = &bar.timings {
        timings.print();
    }
    match result {
        Ok(report) => {
            if output.verbosity != Verbosity::Quiet {
                print_report(&report, output.verbosity);
            }
            Ok(report)
        }
        Err(error) => {
            if let Error::Strict { diagnostics } = &error {
                for line in term::diagnostics(diagnostics) {
                    say!("{line}");
                }
            }
            Err(fail_with(&error))
        }
    }
}

fn print_report(report: &BuildReport, verbosity: Verbosity) {
    for line in term::diagnostics(&report.diagnostics) {
        say!("{line}");
    }
    for change in &report.changes {
        match (change.change, &change.previous) {
            (ChangeKind::Reworded, Some(previous)) => {
                say!("reworded: {previous:?} -> {:?}", change.question)
            }
            (ChangeKind::Removed, _) if change.now_kind.is_some() => say!(
                "changed kind: {:?} is now a {} note, added as a new note (Anki cannot change \
                 a note's type); the old note is retired like a removed question, tagged \
                 deckforge::removed, with its review history",
                change.question,
                change.now_kind.unwrap_or_default()
            ),
            (ChangeKind::Removed, _) => say!(
                "removed: {:?} (retired: its note ships without a card, tagged \
                 deckforge::removed, for {} days)",
                change.question,
                deckforge::build::RETIRED_NOTE_DAYS
            ),
            (kind, _) if verbosity == Verbosity::Verbose => {
                say!("{kind}: {:?}", change.question)
            }
            _ => {}
        }
    }
    if report.counts.removed > 0 {
        say!(
            "in Anki, the search `tag:deckforge::removed` finds every retired note (Browse, then \
             Notes > Delete to remove them)"
        );
    }
    for notice in &report.notices {
        say!("note: {}", term::printable(notice));
    }
    if verbosity == Verbosity::Verbose
        && let Some(lock) = &report.lock
    {
        say!("lock: {}", lock.display());
    }
    let output = if deckforge::input::is_stdout(&report.output) {
        "standard output".to_string()
    } else {
        report.output.display().to_string()
    };
    say!(
        "wrote {}: {} notes in deck \"{}\" ({})",
        term::printable(&output),
        report.notes,
        term::printable(&report.deck_name),
        report.summary()
    );
}

/// A progress bar on stderr for builds that take more than a moment. indicatif redraws at a
/// bounded rate whichever thread reports, and draws nothing when stderr is not a terminal.
struct BuildProgress {
    bar: indicatif::ProgressBar,
    /// Not with `--quiet`, nor when stderr is a file or a pipe.
    visible: bool,
    started: std::time::Instant,
    stage: std::sync::Mutex<Option<Stage>>,
    timings: Option<timings::Timings>,
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
            timings: timings::Timings::from_env(),
        }
    }

    fn report(&self, progress: Progress) {
        if let Some(timings) = &self.timings {
            timings.report(progress);
        }
        if progress.stage == Stage::Waiting {
            eprintln!("waiting for another deckforge build in the same folder to finish");
            return;
        }
        if !self.visible || self.started.elapsed() < Self::DELAY {
            return;
        }
        let mut stage = self.stage.lock().unwrap_or_else(|e| e.into_inner());
        if *stage != Some(progress.stage) {
            self.bar.set_message(match progress.stage {
                Stage::Reading => "reading",
                Stage::Waiting | Stage::Rendering => "rendering",
                Stage::Matching => "matching",
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
            .filter(|t| (0..=LATEST_TIME).contains(t))
            .ok_or_else(|| {
                format!(
                    "SOURCE_DATE_EPOCH must be a number of seconds between 0 and {LATEST_TIME}, got {value:?}"
                )
            }),
        Err(_) => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
    }
}

/// Prints `error` and picks its exit code: 2 for a mistake in the command line that clap cannot
/// see (an output or input whose format deckforge does not know, a text option on a package),
/// 1 for everything else, as for clap's own usage errors.
fn fail_with(error: &Error) -> ExitCode {
    let code = match error {
        Error::UnknownOutputFormat { .. } | Error::TextOptionOnPackage { .. } => USAGE,
        _ => FAILURE,
    };
    say!("{}", term::error_line(&error.to_string()));
    ExitCode::from(code)
}

/// A Markdown file by its extension (`.md`, `.markdown`, `.mdown`).
fn is_source(path: &std::path::Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "md" | "markdown" | "mdown"))
}

/// A command-line mistake clap cannot see: exit status 2, like clap's own.
fn usage(message: &str) -> ExitCode {
    say!("{}", term::error_line(message));
    ExitCode::from(USAGE)
}

fn fail(message: &str) -> ExitCode {
    say!("{}", term::error_line(message));
    ExitCode::from(FAILURE)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks of the whole definition (conflicting shorts, a global
    /// option clashing with a command's, missing value names), which it only runs when asked.
    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

#[cfg(test)]
mod one_line_tests {
    use super::one_line;

    #[test]
    fn table_cells_and_blocks_stay_apart() {
        let table = "<p>A table:</p>\n<table><thead><tr><th>a</th><th>b</th></tr></thead>\
                     <tbody><tr><td>c1</td><td>c2</td></tr></tbody></table>";
        assert_eq!(one_line(table, true), "A table: a | b / c1 | c2");
        assert_eq!(
            one_line("<ul><li>x</li><li>y</li></ul>one<br>two", true),
            "x y one two"
        );
        // Plain text keeps its `<` and its line breaks.
        assert_eq!(
            one_line("Vec<T>\n  and   more\n\n", false),
            "Vec<T> / and more"
        );
        assert_eq!(one_line(&"x".repeat(200), false).chars().count(), 120);
    }
}
