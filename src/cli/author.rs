//! The deck author's commands: `preview`, `templates export`, `completions`, and `build` of a
//! whole deckforge.toml project. Kept apart from the per-file commands in `cli.rs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Subcommand};

use deckforge::build::{BuildOptions, LockMode};
use deckforge::config::{CONFIG_FILE, Config};
use deckforge::templates::Templates;

use super::options::{ExcludeArg, LayoutArg};
use super::{
    BuildOutput, Cli, DeckArgs, USAGE, build_one, emit, fail, fail_with, report_json, term,
};

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Markdown files to read, folders (every .md file below) or globs; their cards go into
    /// one deck, in order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    #[command(flatten)]
    exclude: ExcludeArg,

    /// The HTML page to write.
    #[arg(short, long, value_name = "PAGE")]
    output: PathBuf,

    #[command(flatten)]
    deck: DeckArgs,

    #[command(flatten)]
    layout: LayoutArg,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Write the default front.html, back.html and style.css into DIR, to edit and then use
    /// with `build --templates DIR`.
    #[command(after_help = "Examples:\n  \
deckforge templates export my-design\n  \
deckforge templates export my-design --force   # back to the defaults\n  \
deckforge preview notes.md -o preview.html --templates my-design\n\n\
Without --force, nothing is written if any of the three files exists already.")]
    Export {
        /// The folder to write to (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Replace files that exist already.
        #[arg(long)]
        force: bool,
    },
}

pub fn run_preview(args: PreviewArgs, quiet: bool) -> ExitCode {
    // A preview has no build time of its own; timestamps do not show on the page.
    let inputs = match args.exclude.expand(&args.inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let mut options = BuildOptions::new(inputs, args.output, 0);
    if let Err(code) = args.deck.apply(&mut options) {
        return code;
    }
    options.lock = LockMode::BesideSource;
    options.layout = args.layout.layout;
    let report = match deckforge::preview::preview(&options) {
        Ok(report) => report,
        Err(error) => return fail_with(&error),
    };
    let summary = &report.summary;
    if !quiet {
        for problem in &summary.template_errors {
            say!(
                "{}",
                term::warning_line(&format!("the card template has a problem: {problem}"))
            );
        }
        for diagnostic in &report.diagnostics {
            say!("{}", term::diagnostic(diagnostic));
        }
        say!(
            "wrote {}: {} cards in {} {} of deck \"{}\"",
            report.output.display(),
            summary.cards,
            summary.sections,
            if summary.sections == 1 {
                "section"
            } else {
                "sections"
            },
            report.deck_name
        );
    }
    ExitCode::SUCCESS
}

pub fn run_templates(command: TemplatesCommand) -> ExitCode {
    match command {
        TemplatesCommand::Export { dir, force } => match Templates::export_defaults(&dir, force) {
            Ok(paths) => {
                for path in &paths {
                    say!("wrote {}", path.display());
                }
                say!(
                    "edit them, then: deckforge build NOTES.md -o NOTES.apkg --templates {}",
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        },
    }
}

pub fn run_completions(shell: clap_complete::Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "deckforge", &mut script);
    emit(&String::from_utf8_lossy(&script))
}

/// What `build` without INPUT takes from the command line.
#[derive(Debug)]
pub struct ProjectArgs {
    /// `--config FILE`, else the nearest deckforge.toml.
    pub config: Option<PathBuf>,
    /// `--strict` for every deck.
    pub strict: bool,
    /// `--locked` for every deck.
    pub locked: bool,
    /// Options given that only make sense for one deck built from INPUT.
    pub refused: Vec<&'static str>,
}

/// The nearest deckforge.toml from the current folder up, as a relative path (`deckforge.toml`,
/// `../deckforge.toml`, …) so the paths in messages stay short.
fn find_config() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let found = deckforge::config::find(&cwd)?;
    let levels = cwd
        .ancestors()
        .position(|dir| dir.join(CONFIG_FILE) == found)?;
    Some(Path::new(&"../".repeat(levels)).join(CONFIG_FILE))
}

/// Builds every deck of a deckforge.toml; a failing deck does not stop the others.
pub fn run_project(args: &ProjectArgs, now: i64, output: BuildOutput) -> ExitCode {
    if let Some(option) = args.refused.first() {
        say!(
            "{}",
            term::error_line(&format!(
                "{option} applies to a deck built from INPUT files; \
                 set it for each deck in {CONFIG_FILE} instead, or name the INPUT and --output"
            ))
        );
        return ExitCode::from(USAGE);
    }
    let Some(path) = args.config.clone().or_else(find_config) else {
        say!(
            "{}",
            term::error_line(&format!(
                "no INPUT given and no {CONFIG_FILE} in this folder or its parents; \
                 try `deckforge build notes.md -o notes.apkg`, or see `deckforge build --help`"
            ))
        );
        return ExitCode::from(USAGE);
    };
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(error) => return fail(&error.to_string()),
    };
    let mut reports = Vec::new();
    let mut failed: Option<ExitCode> = None;
    for deck in &config.decks {
        let mut options = match deck.build_options(now) {
            Ok(options) => options,
            Err(error) => {
                failed = Some(fail(&error.to_string()));
                continue;
            }
        };
        options.strict |= args.strict;
        options.locked |= args.locked;
        // A project names its output and lock folders (`build/notes.apkg`, `locks/…`); a fresh
        // clone has none.
        let lock = match &options.lock {
            LockMode::At(path) => Some(path.as_path()),
            _ => None,
        };
        let folders = [Some(options.output.as_path()), lock]
            .into_iter()
            .flatten()
            .filter_map(Path::parent)
            .filter(|p| !p.as_os_str().is_empty());
        if let Some((folder, error)) = folders
            .filter_map(|folder| std::fs::create_dir_all(folder).err().map(|e| (folder, e)))
            .next()
        {
            failed = Some(fail(&format!(
                "cannot create the folder {}: {error}",
                folder.display()
            )));
            continue;
        }
        match build_one(&options, output) {
            Ok(report) => reports.push(report_json(&report)),
            Err(code) => failed = Some(code),
        }
    }
    if output.json {
        let code = emit(&format!("{:#}\n", serde_json::Value::Array(reports)));
        if failed.is_none() {
            return code;
        }
    }
    failed.unwrap_or(ExitCode::SUCCESS)
}
