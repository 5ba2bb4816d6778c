//! Opens the files a build reads (sources, the lock) only if they are regular files, so a
//! named pipe with no writer, a device such as `/dev/zero` or a folder fails at once with a
//! message naming it instead of waiting forever or filling memory; sources are capped in size.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// The largest source read unless `DECKFORGE_MAX_INPUT_BYTES` says otherwise: far above any
/// deck (the 100-question example is 60 KB), far below what would exhaust memory.
pub(crate) const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// The source size limit in force: `DECKFORGE_MAX_INPUT_BYTES` when it is a number.
pub(crate) fn source_limit() -> u64 {
    std::env::var("DECKFORGE_MAX_INPUT_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(MAX_SOURCE_BYTES)
}

/// Opens `path` for reading if it is a regular file (symlinks followed); anything else is an
/// `InvalidInput` error that says what it is. A missing file stays `NotFound`.
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let refuse = |metadata: &fs::Metadata| {
        let what = kind(metadata);
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}, not a regular file"),
        )
    };
    // Checked before opening: opening a named pipe blocks until a writer comes.
    let metadata = fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(refuse(&metadata));
    }
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(refuse(&metadata));
    }
    Ok(file)
}

fn kind(metadata: &fs::Metadata) -> &'static str {
    if metadata.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let file_type = metadata.file_type();
        if file_type.is_fifo() {
            return "a named pipe (which waits for a writer)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Whether `path` names standard input: `-`, or a name of the descriptor such as `/dev/stdin`
/// (read as a stream, never as a file in `/dev` with a lock beside it).
pub(crate) fn is_stdin(path: &Path) -> bool {
    let name = path.as_os_str();
    name == "-"
        || ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"].contains(&&*name.to_string_lossy())
}

/// Whether `path` names standard output: `-`, or a name of the descriptor such as
/// `/dev/stdout` (written as a stream; a rename would replace the device's link with a file).
pub fn is_stdout(path: &Path) -> bool {
    let name = path.as_os_str();
    name == "-"
        || ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].contains(&&*name.to_string_lossy())
}

/// Reads a source: a regular file, or standard input ([`is_stdin`]) to its end, of at most
/// [`source_limit`] bytes.
pub(crate) fn read_source(path: &Path) -> Result<Vec<u8>> {
    const ACTION: &str = "read the input";
    let limit = source_limit();
    if is_stdin(path) {
        let mut bytes = Vec::new();
        io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, ACTION, e))?;
        if bytes.len() as u64 > limit {
            return Err(Error::io(
                path,
                ACTION,
                io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "standard input holds more than the {limit}-byte limit \
                         (DECKFORGE_MAX_INPUT_BYTES raises it)"
                    ),
                ),
            ));
        }
        return Ok(bytes);
    }
    let file = open_regular(path).map_err(|e| Error::io(path, ACTION, e))?;
    let too_big = |size: u64| {
        Error::io(
            path,
            ACTION,
            io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "it is {size} bytes, more than the {limit}-byte limit \
                     (DECKFORGE_MAX_INPUT_BYTES raises it)"
                ),
            ),
        )
    };
    let size = file
        .metadata()
        .map_err(|e| Error::io(path, ACTION, e))?
        .len();
    if size > limit {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // The cap holds even for a file that grows while it is read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, ACTION, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}
