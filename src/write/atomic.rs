//! Writes output files so that a failed or interrupted build never leaves a partial file or
//! damages the previous one: write a temporary file beside the target, sync it, rename it over.
//!
//! As SQLite and cargo do, a build that replaces two files (the package and the lock) writes
//! both temporary files, then a small journal naming them, then renames them and removes the
//! journal; the next build of the same target finishes the renames a crash interrupted
//! (`recover`) and removes temporary files a killed build left (`remove_stale`). An
//! advisory lock (`BuildLock`) keeps two builds of one target from interleaving, which is
//! also why every temporary file named for a locked target is known to be stale.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A file in the target's folder that is deleted on drop unless it was renamed into place.
pub(crate) struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// Creates a fresh hidden file beside `target` (`.name.deckforge-PID-N.suffix`, with a long
    /// name shortened so the temporary name fits where the target's does).
    pub(crate) fn beside(target: &Path, suffix: &str) -> Result<(TempFile, File)> {
        let folder = parent_folder(target);
        if !folder.is_dir() {
            return Err(Error::OutputFolderMissing {
                path: target.to_path_buf(),
            });
        }
        let prefix = hidden_prefix(target);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = folder.join(format!(
                "{prefix}.deckforge-{}-{n}.{suffix}",
                std::process::id()
            ));
            match OpenOptions::new()
                .write(true)
                .read(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => return Ok((TempFile { path, keep: false }, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(target, "create a file in the output folder", e)),
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file, complete and synced, waiting to be renamed over `target`.
    pub(crate) fn filled(self, target: &Path) -> FilledFile {
        FilledFile {
            temp: self,
            target: target.to_path_buf(),
        }
    }

    /// Renames the file over `target`.
    pub(crate) fn persist(mut self, target: &Path) -> Result<()> {
        fs::rename(&self.path, target).map_err(|e| Error::io(target, "replace the output", e))?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The longest target name used whole in the names of its temporary files: 255 bytes, the
/// limit of common file systems, less room for `.deckforge-PID-N.anki2` and the dot.
const LONGEST_WHOLE_NAME: usize = 190;

/// The start of the hidden files deckforge keeps beside `target`: `.` and its name, or for a
/// long name its first bytes and a hash of the rest, so the names stay distinct and fit.
fn hidden_prefix(target: &Path) -> String {
    use sha2::Digest;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    if name.len() <= LONGEST_WHOLE_NAME {
        return format!(".{name}");
    }
    let mut cut = LONGEST_WHOLE_NAME - 17;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let digest = sha2::Sha256::digest(name.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!(".{}~{hash}", &name[..cut])
}

/// A path beside `target` for one of deckforge's own files about it (`kind` such as `journal`).
fn sidecar(target: &Path, kind: &str) -> PathBuf {
    parent_folder(target).join(format!("{}.deckforge-{kind}", hidden_prefix(target)))
}

/// Refuses an output that deckforge must not replace: `-` (standard output, which only a text
/// build writes, as a stream; the name would become a file called `-`), and anything that exists and is not a regular
/// file, such as `/dev/stdout` (a symlink to a device) or a symlink elsewhere, which a rename
/// would replace instead of writing through. `action` names the file in the error ("write
/// the output").
pub(crate) fn check_target(target: &Path, action: &'static str) -> Result<()> {
    let refuse = |message: &str| {
        Err(Error::io(
            target,
            action,
            io::Error::new(io::ErrorKind::InvalidInput, message.to_string()),
        ))
    };
    if target.as_os_str() == "-" {
        return refuse(
            "`-` is standard output, which takes only the text output of `deckforge build`; \
             name a file",
        );
    }
    match fs::symlink_metadata(target) {
        Ok(metadata) if metadata.file_type().is_symlink() => refuse(
            "it is a symbolic link, which deckforge will not replace; name the file it points to",
        ),
        Ok(metadata) if !metadata.is_file() && !metadata.is_dir() => {
            refuse("it is a device or pipe, not a regular file; name a file to write")
        }
        _ => Ok(()),
    }
}

/// Removes the temporary files an interrupted build of `target` left beside it. Call only with
/// the `BuildLock` of its folder held (no other build can be writing them) and after `recover`
/// (which may still need them). Returns how many were removed.
pub(crate) fn remove_stale(target: &Path) -> usize {
    let start = format!("{}.deckforge-", hidden_prefix(target));
    let Ok(entries) = fs::read_dir(parent_folder(target)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&start) else {
            continue;
        };
        // PID-N.suffix: anything else (the journal) is not a temporary file.
        let temporary = rest.split_once('.').is_some_and(|(ids, suffix)| {
            matches!(suffix, "tmp" | "anki2")
                && ids.split_once('-').is_some_and(|(pid, n)| {
                    pid.bytes().all(|b| b.is_ascii_digit()) && n.bytes().all(|b| b.is_ascii_digit())
                })
        });
        let plain_file = entry.file_type().is_ok_and(|t| t.is_file());
        if temporary && plain_file && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// An advisory lock on the folders of a build's targets (the output and the lock file), held
/// until dropped, so a second build of the same deck cannot interleave with the first: it
/// waits. Folders are locked rather than files beside the targets so no lock file is left in
/// the author's folder; builds of other decks in the same folder wait their turn too. Where a
/// folder cannot be opened as a file (Windows), there is no lock.
pub(crate) struct BuildLock {
    _folders: Vec<File>,
}

impl BuildLock {
    /// Takes the locks in a fixed order (sorted paths, so two builds cannot deadlock); calls
    /// `waiting` with the folder first if another build holds one. A missing folder is not
    /// locked: the build reports it when it writes there.
    pub(crate) fn acquire(targets: &[&Path], waiting: &dyn Fn(&Path)) -> Result<BuildLock> {
        let mut folders: Vec<PathBuf> = targets
            .iter()
            .map(|t| fs::canonicalize(parent_folder(t)).unwrap_or_else(|_| parent_folder(t).into()))
            .collect();
        folders.sort();
        folders.dedup();
        let mut held = Vec::new();
        for folder in folders {
            let Ok(file) = File::open(&folder) else {
                continue;
            };
            // Through fs4 rather than std's `File::lock`, which needs Rust 1.89.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => {
                    waiting(&folder);
                    fs4::FileExt::lock(&file)
                        .map_err(|e| Error::io(&folder, "wait for the other build", e))?;
                }
                // A file system without locks (some network mounts) builds unlocked.
                Err(fs4::TryLockError::Error(_)) => continue,
            }
            held.push(file);
        }
        Ok(BuildLock { _folders: held })
    }
}

/// Renames complete temporary files over their targets so that a crash at any point leaves
/// either all the old files or, after the next build's `recover`, all the new ones. The
/// journal beside `journal_for` names every rename before the first; it is removed after the
/// last. The files are renamed in the order given.
pub(crate) fn persist_together(files: Vec<FilledFile>, journal_for: &Path) -> Result<()> {
    fault("written");
    if files.len() < 2 {
        return files.into_iter().try_for_each(FilledFile::persist);
    }
    let journal = sidecar(journal_for, "journal");
    let mut text = String::new();
    for file in &files {
        let temp = absolute(file.temp.path())?;
        let target = absolute(&file.target)?;
        text.push_str(&format!("{}\t{}\n", hex(&temp), hex(&target)));
    }
    write_file(&journal, |out| {
        io::Write::write_all(out, text.as_bytes()).map_err(write_error(&journal))
    })?;
    fault("before-renames");
    for (i, file) in files.into_iter().enumerate() {
        if i == 1 {
            fault("between-renames");
        }
        let folder = parent_folder(&file.target).to_path_buf();
        file.persist()?;
        sync_folder(&folder);
    }
    fs::remove_file(&journal).map_err(|e| Error::io(&journal, "remove the build journal", e))
}

/// Finishes the renames of a build of `journal_for` that was interrupted after writing its
/// journal: every temporary file still there is renamed over its target (all were complete
/// before the journal was written). Call with the `BuildLock` held. Returns whether there
/// was a journal.
pub(crate) fn recover(journal_for: &Path) -> Result<bool> {
    let journal = sidecar(journal_for, "journal");
    let text = match fs::read_to_string(&journal) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(&journal, "read the build journal", e)),
    };
    for line in text.lines() {
        let parsed = line
            .split_once('\t')
            .and_then(|(temp, target)| Some((unhex(temp)?, unhex(target)?)));
        let Some((temp, target)) = parsed else {
            continue;
        };
        if temp.is_file() {
            fs::rename(&temp, &target)
                .map_err(|e| Error::io(&target, "finish an interrupted build", e))?;
            sync_folder(parent_folder(&target));
        }
    }
    fs::remove_file(&journal).map_err(|e| Error::io(&journal, "remove the build journal", e))?;
    Ok(true)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::io(path, "resolve the path", e))
}

/// A path's bytes in hex: any byte a file name may hold survives the journal's lines.
fn hex(path: &Path) -> String {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unhex(text: &str) -> Option<PathBuf> {
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    #[cfg(unix)]
    let path =
        PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(bytes));
    #[cfg(not(unix))]
    let path = PathBuf::from(String::from_utf8(bytes).ok()?);
    Some(path)
}

/// Makes renames in `folder` durable (a no-op where folders cannot be opened as files).
fn sync_folder(folder: &Path) {
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

/// A crash or a failure injected at a named point of a build, for the tests that check what a
/// killed build or a full disk leaves behind: `DECKFORGE_FAULT=abort:POINT` ends the process
/// there as `kill -9` would (no clean-up runs). Debug builds only.
pub fn fault(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("DECKFORGE_FAULT").is_ok_and(|f| f.strip_prefix("abort:") == Some(point)) {
        std::process::abort();
    }
    let _ = point;
}

/// Whether a failure is injected at `point` (`DECKFORGE_FAULT=full:POINT`): the write there
/// fails as on a full disk. Debug builds only.
pub(crate) fn disk_full_at(point: &str) -> bool {
    cfg!(debug_assertions)
        && std::env::var("DECKFORGE_FAULT").is_ok_and(|f| f.strip_prefix("full:") == Some(point))
}

/// Whether two paths name the same file once `.` and `..` are resolved (`sub/../out.apkg` is
/// `out.apkg`) and existing folders are followed through symlinks.
pub(crate) fn same_file_path(a: &Path, b: &Path) -> bool {
    a == b || resolved_path(a) == resolved_path(b)
}

/// `path` made absolute with `.` and `..` resolved lexically and its folder followed through
/// symlinks where it exists; the file itself need not exist (an output not yet written, a
/// deleted image).
pub(crate) fn resolved_path(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    match (out.parent(), out.file_name()) {
        (Some(folder), Some(name)) => fs::canonicalize(folder)
            .map(|f| f.join(name))
            .unwrap_or(out),
        _ => out,
    }
}

/// The folder a relative or absolute path lives in (`.` for a bare file name).
pub(crate) fn parent_folder(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Runs `write` against a buffered temporary file and renames it over `target` on success.
pub fn write_file(
    target: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    PendingFile::create(target)?.write(write)
}

/// A temporary file created beside its target ahead of time, so a build can prove it will be
/// able to write a second file (the lock) before it replaces the first (the output).
pub struct PendingFile {
    temp: TempFile,
    file: File,
    target: PathBuf,
}

impl PendingFile {
    /// Creates the temporary file; fails as [`write_file`] would if the folder is missing or
    /// not writable, or if `target` is a folder.
    pub fn create(target: &Path) -> Result<PendingFile> {
        // Every file deckforge writes goes through here: `-` (a file named `-`), a device or a
        // symbolic link is refused, not replaced, whichever command writes it.
        check_target(target, "write the output")?;
        if target.is_dir() {
            return Err(Error::OutputIsFolder {
                path: target.to_path_buf(),
            });
        }
        let (temp, file) = TempFile::beside(target, "tmp")?;
        Ok(PendingFile {
            temp,
            file,
            target: target.to_path_buf(),
        })
    }

    /// Runs `write` against the buffered file and syncs it without renaming it yet, so the
    /// caller can put the file in place after something else succeeded.
    pub(crate) fn fill_with(
        self,
        write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    ) -> Result<FilledFile> {
        let PendingFile { temp, file, target } = self;
        let mut writer = BufWriter::with_capacity(1 << 16, file);
        write(&mut writer)
            .and_then(|()| writer.into_inner().map_err(|e| e.into_error()))
            .and_then(|file| file.sync_all())
            .map_err(write_error(&target))?;
        Ok(FilledFile { temp, target })
    }

    /// Runs `write` against the buffered file and renames it over the target on success; on
    /// failure the file is removed and the target left as it was.
    pub fn write(self, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
        let PendingFile { temp, file, target } = self;
        let mut writer = BufWriter::with_capacity(1 << 16, file);
        write(&mut writer)?;
        let file = writer
            .into_inner()
            .map_err(|e| Error::io(&target, "write the output", e.into_error()))?;
        file.sync_all()
            .map_err(|e| Error::io(&target, "write the output", e))?;
        drop(file);
        temp.persist(&target)
    }
}

/// A complete temporary file waiting to be renamed over its target.
pub struct FilledFile {
    temp: TempFile,
    target: PathBuf,
}

impl FilledFile {
    /// Renames the file over its target.
    pub(crate) fn persist(self) -> Result<()> {
        self.temp.persist(&self.target)
    }
}

/// Maps an I/O error while writing into one that names the target.
pub fn write_error(target: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |e| Error::io(target, "write the output", e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_failed_write_keeps_the_previous_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("deckforge-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        fs::write(&target, "old").unwrap();
        let result = write_file(&target, |w| {
            w.write_all(b"partial").map_err(write_error(&target))?;
            Err(Error::Strict {
                diagnostics: Vec::new(),
            })
        });
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        write_file(&target, |w| {
            w.write_all(b"new").map_err(write_error(&target))
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn paths_are_compared_after_resolving_dots() {
        assert!(same_file_path(
            Path::new("sub/../out.apkg"),
            Path::new("out.apkg")
        ));
        assert!(same_file_path(
            Path::new("./a/./b.csv"),
            Path::new("a/b.csv")
        ));
        assert!(!same_file_path(
            Path::new("a/out.apkg"),
            Path::new("out.apkg")
        ));
    }

    #[test]
    fn a_missing_folder_is_reported_as_such() {
        let err = write_file(Path::new("/nonexistent-deckforge/out.apkg"), |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::OutputFolderMissing { .. }), "{err}");
    }
}
