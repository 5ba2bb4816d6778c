//! Writes output files so that a failed or interrupted build never leaves a partial file or
//! damages the previous one: write a temporary file beside the target, sync it, rename it over.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A file in the target's folder that is deleted on drop unless it was renamed into place.
pub struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// Creates a fresh hidden file beside `target` (`.name.deckforge-PID-N.suffix`).
    pub fn beside(target: &Path, suffix: &str) -> Result<(TempFile, File)> {
        let folder = parent_folder(target);
        if !folder.is_dir() {
            return Err(Error::OutputFolderMissing {
                path: target.to_path_buf(),
            });
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_string());
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = folder.join(format!(
                ".{name}.deckforge-{}-{n}.{suffix}",
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file over `target`.
    pub fn persist(mut self, target: &Path) -> Result<()> {
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

/// The folder a relative or absolute path lives in (`.` for a bare file name).
pub fn parent_folder(path: &Path) -> &Path {
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
    pub fn fill_with(
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
    pub fn persist(self) -> Result<()> {
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
    fn a_missing_folder_is_reported_as_such() {
        let err = write_file(Path::new("/nonexistent-deckforge/out.apkg"), |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::OutputFolderMissing { .. }), "{err}");
    }
}
