//! The live loop's commands: `push` (a build delivered into a running Anki) and `watch`
//! (rebuilds as the author saves), kept apart from the one-shot commands in `cli.rs`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use deckforge::anki_connect::{Client, DEFAULT_URL};
use deckforge::build::{BuildOptions, LockMode, build};
use deckforge::config::{CONFIG_FILE, Config};
use deckforge::push::{PushFailure, PushOptions, PushReport, RetiredNote};
use deckforge::write::OutputFormat;
use deckforge::write::presets::TextOptions;

use super::{BuildOutput, DeckArgs, USAGE, Verbosity, build_one, build_time, fail, term};

/// Which decks a live command works on: INPUT files, or the decks of a deckforge.toml.
#[derive(Debug, Clone, Args)]
pub struct DeckSelection {
    /// Markdown files to read, or one deckforge.toml. Without any, every deck of the nearest
    /// deckforge.toml.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,

    /// The file to build [default: the first INPUT with the extension .apkg].
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    #[command(flatten)]
    deck: DeckArgs,

    #[command(flatten)]
    layout: super::options::LayoutArg,
}

impl DeckSelection {
    /// Build options for every selected deck; on a mistake the message is printed and the exit
    /// code returned.
    pub(crate) fn decks(self, now: i64) -> Result<Vec<BuildOptions>, ExitCode> {
        let config = match self.inputs.as_slice() {
            [] => Some(find_config()?),
            [one] if one.extension().is_some_and(|e| e == "toml") => Some(one.clone()),
            _ => None,
        };
        let Some(config) = config else {
            let output = self
                .output
                .clone()
                .unwrap_or_else(|| self.inputs[0].with_extension("apkg"));
            let mut options = BuildOptions::new(self.inputs, output, now);
            self.deck.apply(&mut options)?;
            options.layout = self.layout.layout;
            return Ok(vec![options]);
        };
        if let Some(option) = self
            .deck
            .given()
            .first()
            .copied()
            .or(self.output.is_some().then_some("--output"))
        {
            return Err(usage(&format!(
                "{option} applies to a deck built from INPUT files; set it for each deck in \
                 {CONFIG_FILE} instead"
            )));
        }
        let config = Config::load(&config).map_err(|e| fail(&e.to_string()))?;
        config
            .decks
            .iter()
            .map(|deck| deck.build_options(now).map_err(|e| fail(&e.to_string())))
            .collect()
    }
}

fn usage(message: &str) -> ExitCode {
    say!("{}", term::error_line(message));
    ExitCode::from(USAGE)
}

fn find_config() -> Result<PathBuf, ExitCode> {
    let cwd = std::env::current_dir().map_err(|e| fail(&format!("no current folder: {e}")))?;
    deckforge::config::find(&cwd).ok_or_else(|| {
        usage(&format!(
            "no INPUT given and no {CONFIG_FILE} in this folder or its parents; try \
             `deckforge push notes.md`"
        ))
    })
}

/// Where AnkiConnect listens and how long to wait for it.
#[derive(Debug, Args, Clone)]
pub struct AnkiArgs {
    /// AnkiConnect's address.
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    url: String,

    /// Seconds to wait for an answer before giving up (an import of a large deck takes a while).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
}

impl AnkiArgs {
    fn client(&self) -> Client {
        Client::new(&self.url, Duration::from_secs(self.timeout.max(1)))
    }
}

/// What to do in Anki beyond importing.
#[derive(Debug, Args, Clone, Copy)]
pub struct PushChoices {
    /// Delete the notes of retired questions (tagged deckforge::removed) from Anki, with their
    /// review history, after showing how many and asking.
    #[arg(long)]
    prune: bool,

    /// With --prune: do not ask (needed when standard input is not a terminal).
    #[arg(long, requires = "prune")]
    yes: bool,

    /// Move cards whose question moved to another deck or section (subdeck) there.
    #[arg(long = "move")]
    move_cards: bool,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    decks: DeckSelection,

    #[command(flatten)]
    anki: AnkiArgs,

    #[command(flatten)]
    choices: PushChoices,
}

/// `quiet` is the global `-q`: nothing but errors and the prune question.
pub fn run_push(args: PushArgs, quiet: bool) -> ExitCode {
    if let Err(code) = refuse_unanswerable(args.choices) {
        return code;
    }
    let now = match build_time() {
        Ok(now) => now,
        Err(message) => return fail(&message),
    };
    let decks = match args.decks.decks(now) {
        Ok(decks) => decks,
        Err(code) => return code,
    };
    let client = args.anki.client();
    // Checked before building, so an Anki that is not running leaves the lock as it was.
    if let Err(error) = client.check_version() {
        say!("{}", term::error_line(&error.to_string()));
        say!("nothing was built, and nothing was changed in Anki");
        return ExitCode::from(super::FAILURE);
    }
    let output = BuildOutput {
        verbosity: if quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        },
        json: false,
    };
    let mut result = ExitCode::SUCCESS;
    for options in &decks {
        if let Err(code) = push_deck(options, &client, args.choices, output) {
            result = code;
        }
    }
    result
}

/// `--prune` without `--yes` needs someone to answer; refused before anything is built.
fn refuse_unanswerable(choices: PushChoices) -> Result<(), ExitCode> {
    if choices.prune && !choices.yes && !std::io::stdin().is_terminal() {
        return Err(usage(
            "--prune asks before deleting notes, and standard input is not a terminal: add \
             --yes to delete without asking",
        ));
    }
    Ok(())
}

/// Builds one deck, then delivers it into Anki; messages are printed here.
fn push_deck(
    options: &BuildOptions,
    client: &Client,
    choices: PushChoices,
    output: BuildOutput,
) -> Result<(), ExitCode> {
    build_one(options, output)?;
    deliver(options, client, choices, output)
}

/// Delivers the deck `options` just built into Anki.
fn deliver(
    options: &BuildOptions,
    client: &Client,
    choices: PushChoices,
    output: BuildOutput,
) -> Result<(), ExitCode> {
    let scratch =
        Scratch::new().map_err(|e| fail(&format!("cannot make a temporary folder: {e}")))?;
    let package = scratch.0.join("deck.apkg");
    package_for_anki(options, &package).map_err(|e| fail(&e))?;
    let notes = deckforge::inspect::inspect(&package)
        .map_err(|e| fail(&e.to_string()))?
        .notes;
    let pushed = deckforge::push::push(
        client,
        &package,
        &notes,
        PushOptions {
            move_cards: choices.move_cards,
        },
    );
    let quiet = output.verbosity == Verbosity::Quiet;
    match pushed {
        Ok(report) => {
            if !quiet {
                print_push(&report, client.url());
            }
        }
        Err(PushFailure { done, error }) => {
            print_push_failure(&done, &error.to_string());
            return Err(ExitCode::from(super::FAILURE));
        }
    }
    if choices.prune {
        prune(client, &notes, choices.yes)?;
    }
    Ok(())
}

/// The deck as an `.apkg` at `package` (an absolute path: the add-on reads it): a copy of the
/// build's output, or, for a CSV or other text output, a package built from the same lock (so
/// its notes carry the same GUIDs and modification times).
fn package_for_anki(options: &BuildOptions, package: &Path) -> Result<(), String> {
    let format =
        OutputFormat::for_output(&options.output, &options.text).map_err(|e| e.to_string())?;
    if format == OutputFormat::Apkg {
        return std::fs::copy(&options.output, package)
            .map(|_| ())
            .map_err(|e| format!("cannot copy {}: {e}", options.output.display()));
    }
    let mut as_package = options.clone();
    as_package.lock = options.lock_path().map_or(LockMode::Off, LockMode::At);
    as_package.output = package.to_path_buf();
    as_package.text = TextOptions::default();
    as_package.changed_only = false;
    as_package.locked = false;
    build(&as_package).map(|_| ()).map_err(|e| e.to_string())
}

/// A private temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("deckforge-push-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let dir = dir.canonicalize()?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn print_push(report: &PushReport, url: &str) {
    for line in report_lines(report) {
        say!("{line}");
    }
    if report.not_moved > 0 {
        say!(
            "note: {} card(s) sit in another deck than their question's section; --move moves them",
            report.not_moved
        );
    }
    if !report.not_found.is_empty() {
        say!(
            "note: {} question(s) are in Anki under another note type or note id, and were left \
             unchanged (notes imported from a CSV before the note type existed are in Basic: \
             change their note type in Anki's browser), such as {:?}",
            report.not_found.len(),
            term::printable(&report.not_found[0])
        );
    }
    say!("pushed to Anki at {url}: {}", report.summary());
}

/// One line per change Anki made; a long list of additions is summed up.
fn report_lines(report: &PushReport) -> Vec<String> {
    let mut lines = Vec::new();
    if report.created_note_type {
        lines.push("Anki: created the deck's note type".to_string());
    }
    if report.added.len() > 10 {
        lines.push(format!("Anki: added {} notes", report.added.len()));
    } else {
        lines.extend(
            report
                .added
                .iter()
                .map(|q| format!("Anki: added {:?}", term::printable(q))),
        );
    }
    lines.extend(
        report
            .updated
            .iter()
            .map(|q| format!("Anki: updated {:?}", term::printable(q))),
    );
    lines.extend(
        report
            .media_stored
            .iter()
            .map(|name| format!("Anki: stored the media file {}", term::printable(name))),
    );
    lines.extend(report.moved.iter().map(|(q, from, to)| {
        format!(
            "Anki: moved {:?} from {} to {}",
            term::printable(q),
            term::printable(from),
            term::printable(to)
        )
    }));
    lines.extend(
        report
            .tags_kept
            .iter()
            .map(|q| format!("Anki: kept the learner's tags on {:?}", term::printable(q))),
    );
    lines
}

fn print_push_failure(done: &PushReport, message: &str) {
    say!("{}", term::error_line(message));
    if !done.imported && !done.changed_anything() {
        say!("nothing was changed in Anki");
        return;
    }
    if done.imported {
        say!("before it stopped, Anki had imported the package");
    }
    for line in report_lines(done) {
        say!("before it stopped, {line}");
    }
}

/// Deletes the retired notes after showing how many and asking (unless `yes`).
fn prune(
    client: &Client,
    notes: &[deckforge::inspect::InspectedNote],
    yes: bool,
) -> Result<(), ExitCode> {
    let retired =
        deckforge::push::retired_notes(client, notes).map_err(|e| fail(&e.to_string()))?;
    if retired.is_empty() {
        say!("prune: no retired notes in Anki");
        return Ok(());
    }
    say!("prune: {} retired note(s) in Anki:", retired.len());
    for note in retired.iter().take(10) {
        say!("  {:?}", term::printable(&note.question));
    }
    if retired.len() > 10 {
        say!("  ... and {} more", retired.len() - 10);
    }
    if !yes && !confirm(&retired) {
        say!("prune: nothing deleted");
        return Ok(());
    }
    deckforge::push::delete_notes(client, &retired).map_err(|e| fail(&e.to_string()))?;
    say!(
        "prune: deleted {} note(s) and their review history from Anki",
        retired.len()
    );
    Ok(())
}

fn confirm(retired: &[RetiredNote]) -> bool {
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "delete these {} note(s) and their review history? [y/N] ",
        retired.len()
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    decks: DeckSelection,

    /// Also push every build into the running Anki (see `deckforge push --help`).
    #[arg(long)]
    push: bool,

    /// With --push: move cards whose question moved to another deck or section.
    #[arg(long = "move", requires = "push")]
    move_cards: bool,

    #[command(flatten)]
    anki: AnkiArgs,
}

type Debouncer =
    notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>;

/// Watches every folder the decks depend on (debounced: an editor's burst of writes is one
/// change); the folders are returned to fingerprint their files.
fn watch_folders(
    decks: &[BuildOptions],
    sender: std::sync::mpsc::Sender<notify_debouncer_mini::DebounceEventResult>,
) -> Result<(Debouncer, Vec<PathBuf>), String> {
    use notify_debouncer_mini::notify::RecursiveMode;
    let mut debouncer = notify_debouncer_mini::new_debouncer(Duration::from_millis(150), sender)
        .map_err(|error| format!("cannot watch files: {error}"))?;
    let folders = deckforge::watch::folders(decks);
    for folder in &folders {
        debouncer
            .watcher()
            .watch(folder, RecursiveMode::Recursive)
            .map_err(|error| format!("cannot watch {}: {error}", folder.display()))?;
    }
    Ok((debouncer, folders))
}

/// `quiet` is the global `-q`: nothing but errors.
pub fn run_watch(args: WatchArgs, quiet: bool) -> ExitCode {
    let selection = args.decks;
    let Ok(decks) = current_decks(&selection) else {
        return ExitCode::from(super::FAILURE);
    };
    let client = args.push.then(|| args.anki.client());
    if let Some(client) = &client {
        if let Err(error) = client.check_version() {
            return fail(&error.to_string());
        }
    }
    let choices = PushChoices {
        prune: false,
        yes: false,
        move_cards: args.move_cards,
    };
    let output = BuildOutput {
        verbosity: if quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        },
        json: false,
    };
    let (sender, changes) = std::sync::mpsc::channel();
    // Held to the end: dropping the debouncer stops the watching.
    let (_watching, folders) = match watch_folders(&decks, sender) {
        Ok(watching) => watching,
        Err(message) => return fail(&message),
    };
    let mut seen = Fingerprints::default();
    seen.seed(&folders);
    for options in &decks {
        rebuild(options, client.as_ref(), choices, output);
    }
    if !quiet {
        say!(
            "watching {} folder(s) for changes to {} deck(s); stop with Ctrl-C",
            folders.len(),
            decks.len()
        );
    }
    for batch in changes {
        match batch {
            Ok(events) => on_changes(
                &selection,
                &events,
                &mut seen,
                client.as_ref(),
                (choices, output),
            ),
            Err(error) => say!(
                "{}",
                term::warning_line(&format!("watching files: {error}"))
            ),
        }
    }
    ExitCode::SUCCESS
}

/// Each file's size and modification time when last seen: the watcher also reports files
/// being read (by the build itself), which must not start another build.
#[derive(Default)]
struct Fingerprints(std::collections::HashMap<PathBuf, Option<(std::time::SystemTime, u64)>>);

impl Fingerprints {
    fn of(path: &Path) -> Option<(std::time::SystemTime, u64)> {
        let metadata = std::fs::metadata(path).ok()?;
        Some((metadata.modified().ok()?, metadata.len()))
    }

    /// Remembers the files in `folders` and below (sources, templates and images), up to a
    /// bound: a file not seen yet counts as changed once.
    fn seed(&mut self, folders: &[PathBuf]) {
        let mut pending: Vec<PathBuf> = folders.to_vec();
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                if self.0.len() >= 100_000 {
                    return;
                }
                let path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() && !hidden => pending.push(path),
                    Ok(kind) if kind.is_file() => {
                        self.0.insert(path.clone(), Self::of(&path));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Whether `path` differs from when it was last seen (and remembers it as it is now).
    fn changed(&mut self, path: &Path) -> bool {
        let now = Self::of(path);
        self.0.insert(path.to_path_buf(), now) != Some(now)
    }
}

/// Rebuilds the decks a batch of changes affects.
fn on_changes(
    selection: &DeckSelection,
    events: &[notify_debouncer_mini::DebouncedEvent],
    seen: &mut Fingerprints,
    client: Option<&Client>,
    (choices, output): (PushChoices, BuildOutput),
) {
    // Read again on every change: templates and deckforge.toml may be what changed.
    let Ok(decks) = current_decks(selection) else {
        say!("the previous outputs are kept");
        return;
    };
    let mut todo = std::collections::BTreeSet::new();
    let mut changed = Vec::new();
    for event in events {
        let hit = deckforge::watch::affected(&decks, &event.path);
        if !hit.is_empty() && seen.changed(&event.path) {
            changed.push(event.path.display().to_string());
            todo.extend(hit);
        }
    }
    if todo.is_empty() {
        return;
    }
    changed.sort();
    changed.dedup();
    if output.verbosity != Verbosity::Quiet {
        say!("changed: {}", term::printable(&changed.join(", ")));
    }
    for index in todo {
        rebuild(&decks[index], client, choices, output);
    }
}

/// The decks as the command line and deckforge.toml say now, at the build time of now.
fn current_decks(selection: &DeckSelection) -> Result<Vec<BuildOptions>, ExitCode> {
    let now = build_time().map_err(|message| fail(&message))?;
    selection.clone().decks(now)
}

/// One rebuild of a watched deck (and its push); a failure is printed and the watch goes on.
fn rebuild(
    options: &BuildOptions,
    client: Option<&Client>,
    choices: PushChoices,
    output: BuildOutput,
) {
    if build_one(options, output).is_err() {
        say!(
            "the previous {} is kept; fix the problem and save again",
            options.output.display()
        );
        return;
    }
    if let Some(client) = client {
        let _ = deliver(options, client, choices, output);
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    decks: DeckSelection,

    /// The port on 127.0.0.1 to serve on (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = 8700)]
    port: u16,
}

/// The served pages, replaced on every rebuild; `version` tells the pages to reload.
struct Served {
    decks: Vec<Option<deckforge::serve::ServedDeck>>,
    version: u64,
}

type Shared = std::sync::Arc<std::sync::Mutex<Served>>;

pub fn run_serve(args: ServeArgs) -> ExitCode {
    let selection = args.decks;
    let Ok(decks) = current_decks(&selection) else {
        return ExitCode::from(super::FAILURE);
    };
    let server = match tiny_http::Server::http(("127.0.0.1", args.port)) {
        Ok(server) => server,
        Err(error) => return fail(&format!("cannot serve on 127.0.0.1:{}: {error}", args.port)),
    };
    let port = server.server_addr().to_ip().map_or(args.port, |a| a.port());
    let shared: Shared = std::sync::Arc::new(std::sync::Mutex::new(Served {
        decks: Vec::new(),
        version: 0,
    }));
    render_all(&decks, &shared);
    let (sender, changes) = std::sync::mpsc::channel();
    let (debouncer, folders) = match watch_folders(&decks, sender) {
        Ok(watching) => watching,
        Err(message) => return fail(&message),
    };
    let watcher_state = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut seen = Fingerprints::default();
        seen.seed(&folders);
        for events in changes.into_iter().flatten() {
            let Ok(decks) = current_decks(&selection) else {
                continue;
            };
            let touched = events.iter().any(|event| {
                !deckforge::watch::affected(&decks, &event.path).is_empty()
                    && seen.changed(&event.path)
            });
            if touched {
                render_all(&decks, &watcher_state);
            }
        }
    });
    say!(
        "serving the preview on http://127.0.0.1:{port}/ (it reloads itself when a source \
         changes); stop with Ctrl-C"
    );
    for request in server.incoming_requests() {
        answer(request, &shared);
    }
    drop(debouncer);
    ExitCode::SUCCESS
}

/// Renders every deck's page and bumps the version; a deck that fails keeps its last page.
fn render_all(decks: &[BuildOptions], shared: &Shared) {
    let mut pages = Vec::with_capacity(decks.len());
    for (index, options) in decks.iter().enumerate() {
        match deckforge::serve::render(options, &format!("/deck/{index}/version")) {
            Ok(page) => {
                for diagnostic in &page.diagnostics {
                    say!("{}", term::diagnostic(diagnostic));
                }
                say!(
                    "rendered {} cards of {}",
                    page.summary.cards,
                    term::printable(&options.inputs[0].display().to_string())
                );
                pages.push(Some(page));
            }
            Err(error) => {
                say!("{}", term::error_line(&error.to_string()));
                say!("the page keeps showing the last version that built");
                pages.push(None);
            }
        }
    }
    let mut served = shared.lock().unwrap_or_else(|e| e.into_inner());
    for (index, page) in pages.into_iter().enumerate() {
        match (page, served.decks.get_mut(index)) {
            (Some(page), Some(slot)) => *slot = Some(page),
            (page, None) => served.decks.push(page),
            (None, Some(_)) => {}
        }
    }
    served.version += 1;
}

/// Answers one request: `/` (to the first deck), `/deck/N/` (its page), `/deck/N/version`,
/// and `/deck/N/FILE` (an image the page shows, from the deck's source folder only).
fn answer(request: tiny_http::Request, shared: &Shared) {
    use tiny_http::{Header, Response};
    let url = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string();
    let header = |value: &str| Header::from_bytes("Content-Type", value).expect("a valid header");
    if url == "/" {
        let moved = Header::from_bytes("Location", "/deck/0/").expect("a valid header");
        let _ = request.respond(Response::empty(302).with_header(moved));
        return;
    }
    let reply = {
        let served = shared.lock().unwrap_or_else(|e| e.into_inner());
        route(&url, &served)
    };
    let _ = match reply {
        Some((body, kind, page)) => {
            if let Some((index, version)) = page {
                say!("served deck {index}'s page (version {version})");
            }
            request.respond(
                Response::from_data(body)
                    .with_header(header(kind))
                    .with_header(Header::from_bytes("Cache-Control", "no-store").expect("valid")),
            )
        }
        None => request.respond(Response::from_string("not found").with_status_code(404)),
    };
}

/// The body and Content-Type for `url`, and for a page its deck and version.
type Reply = (Vec<u8>, &'static str, Option<(usize, u64)>);

fn route(url: &str, served: &Served) -> Option<Reply> {
    let rest = url.strip_prefix("/deck/")?;
    let (index, file) = rest.split_once('/')?;
    let index: usize = index.parse().ok()?;
    let deck = served.decks.get(index)?.as_ref()?;
    match file {
        "" => Some((
            deck.html.clone().into_bytes(),
            "text/html; charset=utf-8",
            Some((index, served.version)),
        )),
        "version" => Some((served.version.to_string().into_bytes(), "text/plain", None)),
        name => {
            let kind = deckforge::serve::content_type(name);
            if let Some(media) = deck.media.iter().find(|m| m.name == name) {
                return Some((
                    deckforge::render::media::read_media(media).ok()?,
                    kind,
                    None,
                ));
            }
            let path = deckforge::serve::file_in_folder(&deck.folder, name)?;
            Some((std::fs::read(path).ok()?, kind, None))
        }
    }
}
