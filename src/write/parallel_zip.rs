//! Writes the package's zip with its one large entry, the collection, deflated on every core:
//! the zip crate compresses an entry on one thread, and deflating was a fifth of a large build.
//!
//! The entry is cut into blocks that are deflated independently (each ends with a sync flush,
//! so their concatenation is one valid deflate stream, as pigz does) and written in order; their
//! CRC-32s are combined. Only a few blocks are in memory at once. The archive is plain zip 2.0:
//! no zip64, so it refuses a package of 4 GiB or more, or of more than 65,535 files.
//!
//! Workers read their blocks with positioned reads on Unix, and by seeking under a lock
//! elsewhere ([`Reads`]); the portable way is built and tested on Linux too (unit tests run
//! both, and `--features portable-io` makes a whole build use it), so it cannot silently rot.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use flate2::{Compress, Compression, FlushCompress, Status};

/// Bytes deflated per block: large enough that restarting the dictionary costs well under 1%.
const BLOCK_BYTES: usize = 4 << 20;

/// The largest size the zip 2.0 header fields hold.
pub(crate) const MAX_ENTRY_BYTES: u64 = u32::MAX as u64 - 1;

/// MS-DOS date 1980-01-01, time 00:00: a fixed stamp keeps packages reproducible.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
const VERSION_NEEDED: u16 = 20;
/// "Made by" Unix (3), zip 2.0, so readers apply the permissions below.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
const UTF8_NAMES: u16 = 1 << 11;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// A regular file, rw-r--r--, in the high half of the external attributes.
const UNIX_FILE_ATTRIBUTES: u32 = 0o100644 << 16;

/// How worker threads read their blocks of the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    /// Positioned reads (`pread`): threads share the file without sharing a cursor.
    #[cfg(unix)]
    Positioned,
    /// Seek, then read, one thread at a time: any platform's file API. On Unix only the unit
    /// tests and the `portable-io` feature use it.
    #[cfg_attr(all(unix, not(feature = "portable-io")), allow(dead_code))]
    Locked,
}

impl Reads {
    /// What this build uses.
    #[cfg(all(unix, not(feature = "portable-io")))]
    pub(crate) const PLATFORM: Reads = Reads::Positioned;
    /// What this build uses.
    #[cfg(any(not(unix), feature = "portable-io"))]
    pub(crate) const PLATFORM: Reads = Reads::Locked;
}

/// The source file and how blocks are read from it.
struct Source<'a> {
    file: &'a File,
    reads: Reads,
    /// Held across a seek and its read, for [`Reads::Locked`].
    cursor: Mutex<()>,
}

impl Source<'_> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self.reads {
            #[cfg(unix)]
            Reads::Positioned => std::os::unix::fs::FileExt::read_exact_at(self.file, buf, offset),
            Reads::Locked => {
                let _turn = self
                    .cursor
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut file = self.file;
                file.seek(SeekFrom::Start(offset))?;
                file.read_exact(buf)
            }
        }
    }
}

/// Takes an entry's next bytes, for [`ZipOut::add_streamed`].
pub(crate) type Push<'a> = dyn FnMut(&[u8]) -> io::Result<()> + 'a;

/// A deflated block, its CRC-32 and its length before deflating.
type Deflated = io::Result<(Vec<u8>, crc32fast::Hasher, u64)>;

/// A thread deflating the blocks sent to it (the last one finishing the stream), in order.
fn spawn_deflater<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    level: u32,
) -> (SyncSender<(Vec<u8>, bool)>, Receiver<Deflated>) {
    let (send, work) = sync_channel::<(Vec<u8>, bool)>(1);
    let (done, receive) = sync_channel::<Deflated>(1);
    scope.spawn(move || {
        for (block, last) in work {
            let mut crc = crc32fast::Hasher::new();
            crc.update(&block);
            let flush = if last {
                FlushCompress::Finish
            } else {
                FlushCompress::Sync
            };
            let result = deflate(&block, level, flush).map(|d| (d, crc, block.len() as u64));
            if done.send(result).is_err() {
                return;
            }
        }
    });
    (send, receive)
}

/// Writes the deflaters' blocks to `out` in the order they were sent (round robin) until
/// their channels close, after `placeholder` if there is any block; returns the blocks'
/// CRC-32, compressed and uncompressed length.
fn write_in_order(
    out: &mut io::BufWriter<File>,
    placeholder: &[u8],
    receivers: &[Receiver<Deflated>],
) -> io::Result<(crc32fast::Hasher, u64, u64)> {
    let (mut crc, mut compressed, mut total) = (crc32fast::Hasher::new(), 0u64, 0u64);
    for block in 0.. {
        let Ok(result) = receivers[block % receivers.len()].recv() else {
            break;
        };
        let (data, block_crc, length) = result?;
        if block == 0 {
            out.write_all(placeholder)?;
        }
        out.write_all(&data)?;
        compressed += data.len() as u64;
        total += length;
        crc.combine(&block_crc);
    }
    Ok((crc, compressed, total))
}

/// Cuts pushed bytes into blocks and hands them to the deflaters in turn.
struct BlockSender {
    senders: Vec<SyncSender<(Vec<u8>, bool)>>,
    buffer: Vec<u8>,
    sent: usize,
}

impl BlockSender {
    fn send(&mut self, block: Vec<u8>, last: bool) -> io::Result<()> {
        let to = &self.senders[self.sent % self.senders.len()];
        self.sent += 1;
        to.send((block, last))
            .map_err(|_| io::Error::other("a compression thread stopped"))
    }

    fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= BLOCK_BYTES {
            let block = std::mem::replace(&mut self.buffer, Vec::with_capacity(BLOCK_BYTES));
            self.send(block, false)?;
        }
        Ok(())
    }

    /// Sends what is left as the last block (an empty one still ends the stream), and lets
    /// the deflaters stop; when no block was sent, returns the bytes instead, unsent.
    fn finish(mut self) -> io::Result<Option<Vec<u8>>> {
        let last = std::mem::take(&mut self.buffer);
        if self.sent == 0 {
            return Ok(Some(last));
        }
        self.send(last, true).map(|()| None)
    }
}

/// One entry written so far, for the central directory.
struct Entry {
    name: String,
    method: u16,
    crc: u32,
    compressed: u32,
    uncompressed: u32,
    offset: u32,
}

/// A zip archive being written to a file, entry by entry.
pub(crate) struct ZipOut {
    out: io::BufWriter<File>,
    written: u64,
    entries: Vec<Entry>,
    reads: Reads,
}

impl ZipOut {
    pub(crate) fn new(file: File) -> Self {
        Self::with_reads(file, Reads::PLATFORM)
    }

    fn with_reads(file: File, reads: Reads) -> Self {
        ZipOut {
            out: io::BufWriter::with_capacity(1 << 20, file),
            written: 0,
            entries: Vec::new(),
            reads,
        }
    }

    /// Adds `source` (read from offset 0 to its end) deflated at `level`, using `threads` threads.
    /// `progress` is told the bytes read so far.
    pub(crate) fn add_deflated_file(
        &mut self,
        name: &str,
        source: &File,
        level: u32,
        threads: usize,
        progress: &dyn Fn(u64, u64),
    ) -> io::Result<()> {
        let source = &Source {
            file: source,
            reads: self.reads,
            cursor: Mutex::new(()),
        };
        let total = source.file.metadata()?.len();
        if total > MAX_ENTRY_BYTES {
            return Err(too_large());
        }
        let blocks = total.div_ceil(BLOCK_BYTES as u64).max(1) as usize;
        let threads = threads.clamp(1, blocks);
        let header_at = self.begin_entry(name, DEFLATED)?;
        let mut crc = crc32fast::Hasher::new();
        let mut compressed = 0u64;
        std::thread::scope(|scope| -> io::Result<()> {
            // Worker `w` deflates blocks w, w + threads, ...; reading the workers' channels in
            // turn puts the blocks back in order, and each channel holds one finished block.
            let receivers: Vec<_> = (0..threads)
                .map(|worker| {
                    let (send, receive) =
                        sync_channel::<io::Result<(Vec<u8>, crc32fast::Hasher)>>(1);
                    scope.spawn(move || {
                        let mut input = vec![0; BLOCK_BYTES];
                        for block in (worker..blocks).step_by(threads) {
                            let result =
                                deflate_block(source, block, blocks, total, level, &mut input);
                            let failed = result.is_err();
                            if send.send(result).is_err() || failed {
                                return;
                            }
                        }
                    });
                    receive
                })
                .collect();
            for block in 0..blocks {
                let (data, block_crc) = receivers[block % threads]
                    .recv()
                    .map_err(|_| io::Error::other("a compression thread stopped"))??;
                self.out.write_all(&data)?;
                compressed += data.len() as u64;
                crc.combine(&block_crc);
                progress(
                    ((block + 1) * BLOCK_BYTES).min(total as usize) as u64,
                    total,
                );
            }
            Ok(())
        })?;
        if compressed > MAX_ENTRY_BYTES {
            return Err(too_large());
        }
        self.written += compressed;
        self.finish_entry(header_at, crc.finalize(), compressed as u32, total as u32)
    }

    /// Adds an entry whose bytes `fill` produces: it pushes them in order through its argument
    /// and returns the entry's first `prefix` bytes, which it learns only at the end. Blocks
    /// are deflated on `threads` threads while `fill` runs, and the prefix is stored (deflate's
    /// uncompressed blocks have a known size, so its place is kept for it); an entry that
    /// fits in one block is deflated whole at the end instead, prefix included.
    pub(crate) fn add_streamed(
        &mut self,
        name: &str,
        prefix: usize,
        (level, threads): (u32, usize),
        fill: &mut dyn FnMut(&mut Push) -> io::Result<Vec<u8>>,
    ) -> io::Result<()> {
        let header_at = self.begin_entry(name, DEFLATED)?;
        let threads = threads.max(1);
        let out = &mut self.out;
        let placeholder = stored_blocks(&vec![0; prefix]);
        let (rest, first, whole) = std::thread::scope(|scope| -> io::Result<_> {
            let (senders, receivers): (Vec<_>, Vec<_>) =
                (0..threads).map(|_| spawn_deflater(scope, level)).unzip();
            // The compressed blocks are written in order as they come, beside the producer,
            // after the prefix's place.
            let writer = scope.spawn(move || write_in_order(out, &placeholder, &receivers));
            let mut blocks = BlockSender {
                senders,
                buffer: Vec::with_capacity(BLOCK_BYTES),
                sent: 0,
            };
            let first = fill(&mut |bytes| blocks.push(bytes));
            let whole = blocks.finish();
            // The writer's own error first: a producer stopped by it only sees closed channels.
            let written = writer.join().expect("the zip writer does not panic")?;
            Ok((written, first?, whole?))
        })?;
        if first.len() != prefix {
            return Err(io::Error::other("the entry's prefix changed size"));
        }
        let (crc, compressed, total) = match whole {
            Some(body) => {
                let data = [first, body].concat();
                let deflated = deflate(&data, level, FlushCompress::Finish)?;
                self.out.write_all(&deflated)?;
                let mut crc = crc32fast::Hasher::new();
                crc.update(&data);
                (crc, deflated.len() as u64, data.len() as u64)
            }
            None => {
                let (crc_rest, compressed_rest, total_rest) = rest;
                let stored = stored_blocks(&first);
                let data_at =
                    u64::from(header_at) + local_header(name, DEFLATED, 0, 0, 0).len() as u64;
                self.write_at(&stored, data_at)?;
                let mut crc = crc32fast::Hasher::new();
                crc.update(&first);
                crc.combine(&crc_rest);
                let compressed = stored.len() as u64 + compressed_rest;
                (crc, compressed, prefix as u64 + total_rest)
            }
        };
        if compressed > MAX_ENTRY_BYTES || total > MAX_ENTRY_BYTES {
            return Err(too_large());
        }
        self.written += compressed;
        self.finish_entry(header_at, crc.finalize(), compressed as u32, total as u32)
    }

    /// Adds `data` as an entry, deflated at `level` or stored when `level` is `None`.
    pub(crate) fn add_bytes(
        &mut self,
        name: &str,
        data: &[u8],
        level: Option<u32>,
    ) -> io::Result<()> {
        if data.len() as u64 > MAX_ENTRY_BYTES {
            return Err(too_large());
        }
        let method = if level.is_some() { DEFLATED } else { STORED };
        let header_at = self.begin_entry(name, method)?;
        let body = match level {
            Some(level) => deflate(data, level, FlushCompress::Finish)?,
            None => data.to_vec(),
        };
        self.out.write_all(&body)?;
        self.written += body.len() as u64;
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        self.finish_entry(
            header_at,
            crc.finalize(),
            body.len() as u32,
            data.len() as u32,
        )
    }

    /// Adds everything `source` reads as a stored entry, streamed through a small buffer (media
    /// can outweigh memory); returns the CRC-32 and size of what was read.
    pub(crate) fn add_stored_reader(
        &mut self,
        name: &str,
        source: &mut dyn Read,
    ) -> io::Result<(u32, u64)> {
        let header_at = self.begin_entry(name, STORED)?;
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            let n = match source.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            size += n as u64;
            if size > MAX_ENTRY_BYTES {
                return Err(too_large());
            }
            crc.update(&buffer[..n]);
            self.out.write_all(&buffer[..n])?;
        }
        self.written += size;
        let crc = crc.finalize();
        self.finish_entry(header_at, crc, size as u32, size as u32)?;
        Ok((crc, size))
    }

    /// Writes the central directory and returns the file, flushed (not synced).
    pub(crate) fn finish(mut self) -> io::Result<File> {
        let directory_at = self.offset()?;
        let mut directory = Vec::new();
        for entry in &self.entries {
            directory.extend(0x0201_4b50u32.to_le_bytes());
            directory.extend(VERSION_MADE_BY.to_le_bytes());
            directory.extend(VERSION_NEEDED.to_le_bytes());
            directory.extend(UTF8_NAMES.to_le_bytes());
            directory.extend(entry.method.to_le_bytes());
            directory.extend(DOS_TIME.to_le_bytes());
            directory.extend(DOS_DATE.to_le_bytes());
            directory.extend(entry.crc.to_le_bytes());
            directory.extend(entry.compressed.to_le_bytes());
            directory.extend(entry.uncompressed.to_le_bytes());
            directory.extend((entry.name.len() as u16).to_le_bytes());
            // Extra field, comment, disk number and internal attributes: none.
            directory.extend([0u8; 8]);
            directory.extend(UNIX_FILE_ATTRIBUTES.to_le_bytes());
            directory.extend(entry.offset.to_le_bytes());
            directory.extend(entry.name.as_bytes());
        }
        let count = u16::try_from(self.entries.len()).map_err(|_| {
            io::Error::other("the package would hold more than 65,535 files (media included), past what this zip writer holds")
        })?;
        let size = u32::try_from(directory.len()).map_err(|_| too_large())?;
        directory.extend(0x0605_4b50u32.to_le_bytes());
        directory.extend([0u8; 4]);
        directory.extend(count.to_le_bytes());
        directory.extend(count.to_le_bytes());
        directory.extend(size.to_le_bytes());
        directory.extend(directory_at.to_le_bytes());
        directory.extend([0u8; 2]);
        self.out.write_all(&directory)?;
        self.out.into_inner().map_err(|e| e.into_error())
    }

    fn offset(&self) -> io::Result<u32> {
        u32::try_from(self.written).map_err(|_| too_large())
    }

    /// Writes a local header with sizes and CRC to be filled in by [`Self::finish_entry`].
    fn begin_entry(&mut self, name: &str, method: u16) -> io::Result<u32> {
        let offset = self.offset()?;
        let header = local_header(name, method, 0, 0, 0);
        self.out.write_all(&header)?;
        self.written += header.len() as u64;
        self.entries.push(Entry {
            name: name.to_string(),
            method,
            crc: 0,
            compressed: 0,
            uncompressed: 0,
            offset,
        });
        Ok(offset)
    }

    /// Rewrites the entry's local header now that its sizes and CRC are known.
    fn finish_entry(
        &mut self,
        header_at: u32,
        crc: u32,
        compressed: u32,
        uncompressed: u32,
    ) -> io::Result<()> {
        let entry = self.entries.last_mut().expect("an entry was begun");
        entry.crc = crc;
        entry.compressed = compressed;
        entry.uncompressed = uncompressed;
        let header = local_header(&entry.name, entry.method, crc, compressed, uncompressed);
        self.write_at(&header, u64::from(header_at))
    }

    /// Overwrites bytes already written at `offset`.
    fn write_at(&mut self, bytes: &[u8], offset: u64) -> io::Result<()> {
        self.out.flush()?;
        let file = self.out.get_ref();
        match self.reads {
            #[cfg(unix)]
            Reads::Positioned => std::os::unix::fs::FileExt::write_all_at(file, bytes, offset),
            // Only this thread writes: seek back, then to the end again.
            Reads::Locked => {
                let mut file = file;
                file.seek(SeekFrom::Start(offset))?;
                file.write_all(bytes)?;
                file.seek(SeekFrom::End(0)).map(drop)
            }
        }
    }
}

fn local_header(name: &str, method: u16, crc: u32, compressed: u32, uncompressed: u32) -> Vec<u8> {
    let mut header = Vec::with_capacity(30 + name.len());
    header.extend(0x0403_4b50u32.to_le_bytes());
    header.extend(VERSION_NEEDED.to_le_bytes());
    header.extend(UTF8_NAMES.to_le_bytes());
    header.extend(method.to_le_bytes());
    header.extend(DOS_TIME.to_le_bytes());
    header.extend(DOS_DATE.to_le_bytes());
    header.extend(crc.to_le_bytes());
    header.extend(compressed.to_le_bytes());
    header.extend(uncompressed.to_le_bytes());
    header.extend((name.len() as u16).to_le_bytes());
    header.extend(0u16.to_le_bytes());
    header.extend(name.as_bytes());
    header
}

/// Reads and deflates block `block` of `blocks`; every block but the last ends with a sync
/// flush, so the blocks concatenate into one stream.
fn deflate_block(
    source: &Source,
    block: usize,
    blocks: usize,
    total: u64,
    level: u32,
    input: &mut [u8],
) -> io::Result<(Vec<u8>, crc32fast::Hasher)> {
    let start = (block * BLOCK_BYTES) as u64;
    let length = (total - start).min(BLOCK_BYTES as u64) as usize;
    let input = &mut input[..length];
    source.read_exact_at(input, start)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(input);
    let flush = if block + 1 == blocks {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    Ok((deflate(input, level, flush)?, crc))
}

/// Raw deflate of `input`, ending with `flush`.
fn deflate(input: &[u8], level: u32, flush: FlushCompress) -> io::Result<Vec<u8>> {
    let mut compress = Compress::new(Compression::new(level), false);
    // Deflate never grows data by more than a few bytes per 16 KiB stored block.
    let mut out = Vec::with_capacity(input.len() / 2 + 1024);
    loop {
        let consumed = compress.total_in() as usize;
        if out.len() == out.capacity() {
            out.reserve(out.capacity() / 2 + 1024);
        }
        let status = compress
            .compress_vec(&input[consumed..], &mut out, flush)
            .map_err(io::Error::other)?;
        let done = compress.total_in() as usize == input.len()
            && match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                // A sync flush is complete once output stops filling the whole buffer.
                _ => out.len() < out.capacity(),
            };
        if done {
            return Ok(out);
        }
    }
}

/// `data` as deflate's stored (uncompressed) blocks, none final: 5 bytes of header per
/// 65,535 bytes, so the size is known from the length alone.
fn stored_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 65_535 * 5 + 5);
    for chunk in data.chunks(65_535) {
        let length = chunk.len() as u16;
        out.push(0);
        out.extend(length.to_le_bytes());
        out.extend((!length).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn too_large() -> io::Error {
    io::Error::other("the package would be 4 GiB or larger, past what this zip writer holds")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way this platform can read blocks: the portable one is tested everywhere.
    fn every_reads() -> Vec<Reads> {
        #[cfg(unix)]
        return vec![Reads::Positioned, Reads::Locked];
        #[cfg(not(unix))]
        return vec![Reads::Locked];
    }

    fn zip_with(data: &[u8], threads: usize, reads: Reads) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!(
            "deckforge-zip-{}-{threads}-{reads:?}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let source_path = dir.join("source");
        std::fs::write(&source_path, data).unwrap();
        let source = File::open(&source_path).unwrap();
        let out = tempfile_in(&dir.join("out.zip"));
        let mut zip = ZipOut::with_reads(out, reads);
        zip.add_deflated_file("collection.anki2", &source, 2, threads, &|_, _| {})
            .unwrap();
        zip.add_bytes("media", b"{}", Some(2)).unwrap();
        zip.add_bytes("0", b"\x89PNG stored", None).unwrap();
        let streamed: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (crc, size) = zip.add_stored_reader("1", &mut &streamed[..]).unwrap();
        assert_eq!((crc, size), (crc32fast::hash(&streamed), 200_000));
        let mut file = zip.finish().unwrap();
        file.rewind().unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        bytes
    }

    fn tempfile_in(path: &std::path::Path) -> File {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(path)
            .unwrap()
    }

    #[test]
    fn the_zip_crate_reads_back_every_entry_across_blocks() {
        // Three and a half blocks of text that compresses, so sync flushes join real streams.
        let data: Vec<u8> = (0..BLOCK_BYTES * 7 / 2)
            .map(|i| b"deckforge builds decks "[i % 23] ^ (i / 4093) as u8)
            .collect();
        let runs = every_reads()
            .into_iter()
            .flat_map(|reads| [1, 2, 3].map(|threads| (threads, reads)));
        let mut first = None;
        for (threads, reads) in runs {
            let bytes = zip_with(&data, threads, reads);
            // Blocks are cut the same way whoever reads them: the same archive every time.
            assert_eq!(
                first.get_or_insert_with(|| bytes.clone()),
                &bytes,
                "{threads} threads, {reads:?}"
            );
            let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
            assert_eq!(archive.len(), 4);
            let mut collection = archive.by_name("collection.anki2").unwrap();
            assert!(collection.compressed_size() < data.len() as u64 / 2);
            let mut read = Vec::new();
            // Reading to the end checks the combined CRC-32 too.
            collection.read_to_end(&mut read).unwrap();
            assert!(read == data, "{threads} threads, {reads:?}");
            drop(collection);
            let mut media = String::new();
            archive
                .by_name("media")
                .unwrap()
                .read_to_string(&mut media)
                .unwrap();
            assert_eq!(media, "{}");
            let stored = archive.by_name("0").unwrap();
            assert_eq!(stored.compression(), zip::CompressionMethod::Stored);
            assert_eq!(stored.unix_mode(), Some(0o100644));
            drop(stored);
            let mut streamed = Vec::new();
            archive
                .by_name("1")
                .unwrap()
                .read_to_end(&mut streamed)
                .unwrap();
            assert_eq!(streamed.len(), 200_000);
            assert!(
                streamed
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == (i % 251) as u8)
            );
        }
    }

    /// A streamed entry, its prefix given last, reads back whole: across blocks, and with no
    /// bytes but the prefix.
    #[test]
    fn a_streamed_entry_reads_back_with_its_prefix_first() {
        let dir = std::env::temp_dir().join(format!("deckforge-zip-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data: Vec<u8> = (0..BLOCK_BYTES * 5 / 2)
            .map(|i| b"streamed pages "[i % 15] ^ (i / 3001) as u8)
            .collect();
        let prefix: Vec<u8> = (0..70_000u32).map(|i| (i % 241) as u8).collect();
        let small = &data[..5000];
        for (body, threads) in [(&data[..], 2), (&data[..], 1), (small, 2), (&[][..], 2)] {
            let path = dir.join("out.zip");
            let mut zip = ZipOut::new(tempfile_in(&path));
            zip.add_streamed("c", prefix.len(), (1, threads), &mut |push| {
                for piece in body.chunks(100_000) {
                    push(piece)?;
                }
                Ok(prefix.clone())
            })
            .unwrap();
            zip.add_bytes("media", b"{}", Some(1)).unwrap();
            drop(zip.finish().unwrap());
            let mut archive = zip::ZipArchive::new(File::open(&path).unwrap()).unwrap();
            let mut read = Vec::new();
            archive
                .by_name("c")
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(read.len(), prefix.len() + body.len());
            assert!(read[..prefix.len()] == prefix[..] && read[prefix.len()..] == *body);
            // An entry of one block is deflated whole: its prefix is not stored.
            let compressed = archive.by_name("c").unwrap().compressed_size();
            assert_eq!(
                compressed < 20_000,
                body.len() < BLOCK_BYTES,
                "{compressed}"
            );
            let mut media = String::new();
            archive
                .by_name("media")
                .unwrap()
                .read_to_string(&mut media)
                .unwrap();
            assert_eq!(media, "{}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_entry_is_a_valid_stream() {
        for reads in every_reads() {
            let bytes = zip_with(b"", 2, reads);
            let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
            let mut read = Vec::new();
            archive
                .by_name("collection.anki2")
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert!(read.is_empty());
        }
    }
}
