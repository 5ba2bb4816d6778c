//! Writes an SQLite database of rowid tables page by page, as the file format documents it
//! (sqlite.org/fileformat.html), for the package's collection: its rows arrive in rowid order,
//! so every page is final when it is full and can be deflated at once, on any core, while the
//! next notes are rendered. Through SQLite the rows were inserted on one core, written to a
//! temporary file, read back and deflated only once the last was in.
//!
//! Pages are numbered in the order they are handed out, except the first few: page 1 (the
//! header and the schema) and each table's root, whose contents are known only at the end.
//! They are reserved up front and returned by [`Database::finish`] as the file's first bytes.
//! What SQLite itself would decide is taken from SQLite: the schema's text, its cookie and the
//! library's version number in the header.

use std::io;

/// SQLite's page size for the collection, as `fill_collection` sets it with SQLite.
pub(crate) const PAGE: usize = 16384;
/// Table b-tree leaf and interior page kinds.
const LEAF: u8 = 0x0d;
const INTERIOR: u8 = 0x05;
/// The largest payload kept whole on a leaf page, and the least kept there when it overflows.
const MAX_LOCAL: usize = PAGE - 35;
const MIN_LOCAL: usize = (PAGE - 12) * 32 / 255 - 23;

/// A column value of a row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// The rowid alias (`id integer PRIMARY KEY`), stored as NULL in the record.
    RowId,
    Int(i64),
    Text(&'a str),
}

/// The cell of `values` under `rowid` as a table leaf holds it before any overflow: payload size,
/// rowid and record. Appended to `out`, so a batch of rows can share one buffer.
pub(crate) fn encode_cell(rowid: i64, values: &[Value], out: &mut Vec<u8>) {
    let (mut types_len, mut body_len) = (0, 0);
    for value in values {
        let (serial, len) = serial_type(value);
        types_len += varint_len(serial);
        body_len += len;
    }
    // The header's size counts itself: one byte unless the header is long.
    let header_len = types_len + varint_len(types_len as u64 + 1);
    let header_len = types_len + varint_len(header_len as u64);
    let payload = header_len + body_len;
    out.reserve(payload + 18);
    push_varint(out, payload as u64);
    push_varint(out, rowid as u64);
    push_varint(out, header_len as u64);
    for value in values {
        push_varint(out, serial_type(value).0);
    }
    for value in values {
        match *value {
            Value::RowId => {}
            Value::Int(n) => {
                let (_, len) = serial_type(value);
                out.extend_from_slice(&n.to_be_bytes()[8 - len..]);
            }
            Value::Text(text) => out.extend_from_slice(text.as_bytes()),
        }
    }
}

/// A value's serial type and body length: integers in the fewest bytes, 0 and 1 in none
/// (schema format 4), as SQLite stores them.
fn serial_type(value: &Value) -> (u64, usize) {
    match *value {
        Value::RowId => (0, 0),
        Value::Int(0) => (8, 0),
        Value::Int(1) => (9, 0),
        Value::Int(n) => match n {
            -0x80..=0x7f => (1, 1),
            -0x8000..=0x7fff => (2, 2),
            -0x80_0000..=0x7f_ffff => (3, 3),
            -0x8000_0000..=0x7fff_ffff => (4, 4),
            -0x8000_0000_0000..=0x7fff_ffff_ffff => (5, 6),
            _ => (6, 8),
        },
        Value::Text(text) => (13 + 2 * text.len() as u64, text.len()),
    }
}

fn varint_len(value: u64) -> usize {
    match value {
        _ if value > 0x00ff_ffff_ffff_ffff => 9,
        0 => 1,
        _ => (64 - value.leading_zeros() as usize).div_ceil(7),
    }
}

/// SQLite's big-endian varint: 7 bits a byte, the ninth byte holding 8.
fn push_varint(out: &mut Vec<u8>, value: u64) {
    if value <= 0x7f {
        out.push(value as u8);
        return;
    }
    if value > 0x00ff_ffff_ffff_ffff {
        let mut bytes = [0u8; 9];
        bytes[8] = value as u8;
        let mut rest = value >> 8;
        for byte in bytes[..8].iter_mut().rev() {
            *byte = (rest as u8 & 0x7f) | 0x80;
            rest >>= 7;
        }
        out.extend_from_slice(&bytes);
        return;
    }
    let mut bytes = [0u8; 9];
    let mut n = 0;
    let mut rest = value;
    while rest > 0 {
        bytes[n] = (rest as u8 & 0x7f) | 0x80;
        rest >>= 7;
        n += 1;
    }
    bytes[0] &= 0x7f;
    out.extend(bytes[..n].iter().rev());
}

/// Reads a varint at the start of `bytes`: its value and length.
fn read_varint(bytes: &[u8]) -> (u64, usize) {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(8) {
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    ((value << 8) | u64::from(bytes[8]), 9)
}

/// One table's b-tree under construction: the leaf being filled and, per level above, the
/// children of the interior page being filled.
struct Tree {
    root: u32,
    leaf: Page,
    /// Per interior level: (child page, largest rowid below it).
    levels: Vec<Vec<(u32, i64)>>,
    last_rowid: Option<i64>,
}

/// A b-tree page being filled: its cells' bytes from the end of the page down.
struct Page {
    bytes: Vec<u8>,
    cells: Vec<u16>,
    /// Where the cell content starts (it grows down from the page's end).
    content: usize,
    /// The header's offset: 100 on page 1, after the file header.
    header_at: usize,
}

impl Page {
    fn new(header_at: usize) -> Self {
        Page {
            bytes: vec![0; PAGE],
            cells: Vec::new(),
            content: PAGE,
            header_at,
        }
    }

    fn fits(&self, cell: usize, header: usize) -> bool {
        self.header_at + header + 2 * (self.cells.len() + 1) + cell <= self.content
    }

    fn push(&mut self, cell: &[u8]) {
        self.content -= cell.len();
        self.bytes[self.content..self.content + cell.len()].copy_from_slice(cell);
        self.cells.push(self.content as u16);
    }

    /// The finished page of `kind`, with `right` as the right-most child of an interior page.
    fn finish(mut self, kind: u8, right: Option<u32>) -> Vec<u8> {
        let h = self.header_at;
        self.bytes[h] = kind;
        self.bytes[h + 3..h + 5].copy_from_slice(&(self.cells.len() as u16).to_be_bytes());
        // A content area starting at 65,536 is written as 0; pages here are smaller.
        self.bytes[h + 5..h + 7].copy_from_slice(&(self.content as u16).to_be_bytes());
        let mut at = h + 8;
        if let Some(right) = right {
            self.bytes[h + 8..h + 12].copy_from_slice(&right.to_be_bytes());
            at = h + 12;
        }
        for cell in &self.cells {
            self.bytes[at..at + 2].copy_from_slice(&cell.to_be_bytes());
            at += 2;
        }
        self.bytes
    }
}

/// The collection's file, written through `emit` page by page in page order from the first
/// page after the reserved ones.
pub(crate) struct Database<E: FnMut(&[u8]) -> io::Result<()>> {
    emit: E,
    /// The next page number to hand out.
    next_page: u32,
    trees: Vec<Tree>,
    /// Reserved pages (the roots) with their contents once known, by page number - 2.
    roots: Vec<Option<Vec<u8>>>,
    schema: Vec<(String, String)>,
}

impl<E: FnMut(&[u8]) -> io::Result<()>> Database<E> {
    /// A database of `tables` (from [`tables_of`]), each table's root on pages 2, 3, ... in
    /// their order.
    pub(crate) fn new(tables: Vec<(String, String)>, emit: E) -> Self {
        let trees = (0..tables.len())
            .map(|i| Tree {
                root: i as u32 + 2,
                leaf: Page::new(0),
                levels: Vec::new(),
                last_rowid: None,
            })
            .collect();
        Database {
            emit,
            next_page: tables.len() as u32 + 2,
            trees,
            roots: vec![None; tables.len()],
            schema: tables,
        }
    }

    /// The index of table `name`, for [`Database::append`].
    pub(crate) fn table(&self, name: &str) -> usize {
        self.schema
            .iter()
            .position(|(n, _)| n == name)
            .expect("the table is in the schema")
    }

    fn emit_page(&mut self, page: &[u8]) -> io::Result<u32> {
        let number = self.next_page;
        self.next_page += 1;
        (self.emit)(page)?;
        Ok(number)
    }

    /// Appends the cells in `cells` (each from [`encode_cell`]) to table `table`; their rowids
    /// must keep rising.
    pub(crate) fn append(&mut self, table: usize, cells: &[u8]) -> io::Result<()> {
        let mut at = 0;
        while at < cells.len() {
            let (payload, a) = read_varint(&cells[at..]);
            let (rowid, b) = read_varint(&cells[at + a..]);
            let len = a + b + payload as usize;
            self.append_cell(table, rowid as i64, &cells[at..at + len], a + b)?;
            at += len;
        }
        Ok(())
    }

    fn append_cell(
        &mut self,
        table: usize,
        rowid: i64,
        cell: &[u8],
        prefix: usize,
    ) -> io::Result<()> {
        if self.trees[table]
            .last_rowid
            .is_some_and(|last| last >= rowid)
        {
            return Err(io::Error::other(
                "rows must be written in rising rowid order",
            ));
        }
        let payload = cell.len() - prefix;
        let local = local_bytes(payload);
        let overflowing;
        let stored = if local < payload {
            let first = self.overflow(&cell[prefix + local..])?;
            overflowing = [&cell[..prefix + local], &first.to_be_bytes()[..]].concat();
            &overflowing[..]
        } else {
            cell
        };
        if !self.trees[table].leaf.fits(stored.len(), 8) {
            let full = std::mem::replace(&mut self.trees[table].leaf, Page::new(0));
            let largest = self.trees[table].last_rowid.unwrap_or(rowid);
            let number = self.emit_page(&full.finish(LEAF, None))?;
            self.add_child(table, 0, (number, largest))?;
        }
        let tree = &mut self.trees[table];
        tree.leaf.push(stored);
        tree.last_rowid = Some(rowid);
        Ok(())
    }

    /// Writes `rest` of a payload to overflow pages; returns the first one's number. Their
    /// numbers are known before they are written: they are the next ones handed out.
    fn overflow(&mut self, rest: &[u8]) -> io::Result<u32> {
        let first = self.next_page;
        let chunks: Vec<&[u8]> = rest.chunks(PAGE - 4).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut page = vec![0u8; PAGE];
            let next = if i + 1 < chunks.len() {
                self.next_page + 1
            } else {
                0
            };
            page[..4].copy_from_slice(&next.to_be_bytes());
            page[4..4 + chunk.len()].copy_from_slice(chunk);
            self.emit_page(&page)?;
        }
        Ok(first)
    }

    /// Adds a finished child page to interior level `level` of `table`, writing that level's
    /// page out when it is full.
    fn add_child(&mut self, table: usize, level: usize, child: (u32, i64)) -> io::Result<()> {
        let levels = &mut self.trees[table].levels;
        if levels.len() == level {
            levels.push(Vec::new());
        }
        // The children so far are cells but the last, which becomes the right-most pointer:
        // with the new child they all are cells.
        let cells: usize = levels[level]
            .iter()
            .map(|&(_, key)| 2 + 4 + varint_len(key as u64))
            .sum();
        if 12 + cells > PAGE {
            let children = std::mem::take(&mut levels[level]);
            let largest = children.last().map_or(0, |&(_, key)| key);
            let number = self.emit_page(&interior(&children, 0))?;
            self.add_child(table, level + 1, (number, largest))?;
        }
        self.trees[table].levels[level].push(child);
        Ok(())
    }

    /// Writes what is left of every table, then returns the reserved pages (page 1 and the
    /// roots), the file's first bytes, and the file's size in pages.
    pub(crate) fn finish(mut self) -> io::Result<(Vec<u8>, u32)> {
        for table in 0..self.trees.len() {
            let root = self.finish_tree(table)?;
            self.roots[table] = Some(root);
        }
        let pages = self.next_page - 1;
        let mut reserved = self.first_page(pages);
        for root in self.roots.iter().flatten() {
            reserved.extend_from_slice(root);
        }
        Ok((reserved, pages))
    }

    /// Writes out the partly filled pages of `table` below its root; returns the root page.
    fn finish_tree(&mut self, table: usize) -> io::Result<Vec<u8>> {
        if self.trees[table].levels.is_empty() {
            let leaf = std::mem::replace(&mut self.trees[table].leaf, Page::new(0));
            return Ok(leaf.finish(LEAF, None));
        }
        let leaf = std::mem::replace(&mut self.trees[table].leaf, Page::new(0));
        if !leaf.cells.is_empty() {
            let largest = self.trees[table].last_rowid.unwrap_or(0);
            let number = self.emit_page(&leaf.finish(LEAF, None))?;
            self.add_child(table, 0, (number, largest))?;
        }
        let mut level = 0;
        loop {
            let top = level + 1 == self.trees[table].levels.len();
            let children = std::mem::take(&mut self.trees[table].levels[level]);
            if top && !children.is_empty() {
                return Ok(interior(&children, 0));
            }
            if !children.is_empty() {
                let largest = children.last().map_or(0, |&(_, key)| key);
                let number = self.emit_page(&interior(&children, 0))?;
                self.add_child(table, level + 1, (number, largest))?;
            }
            level += 1;
        }
    }

    /// Page 1: the file header, then the schema table's leaf.
    fn first_page(&self, pages: u32) -> Vec<u8> {
        let mut page = Page::new(100);
        let mut cells = Vec::new();
        for (i, ((name, sql), tree)) in self.schema.iter().zip(&self.trees).enumerate() {
            cells.clear();
            let values = [
                Value::Text("table"),
                Value::Text(name),
                Value::Text(name),
                Value::Int(i64::from(tree.root)),
                Value::Text(sql),
            ];
            encode_cell(i as i64 + 1, &values, &mut cells);
            page.push(&cells);
        }
        let mut bytes = page.finish(LEAF, None);
        bytes[..100].copy_from_slice(&file_header(pages, self.schema.len() as u32));
        bytes
    }
}

/// The tables `schema` creates (rowid tables only), with their SQL as SQLite keeps it.
pub(crate) fn tables_of(schema: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let scratch = rusqlite::Connection::open_in_memory()?;
    scratch.execute_batch(schema)?;
    scratch
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY rowid")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect()
}

/// The bytes of the pages [`Database::finish`] returns for `tables`: page 1 and the roots.
pub(crate) fn reserved_bytes(tables: &[(String, String)]) -> usize {
    (tables.len() + 1) * PAGE
}

/// How much of a payload of `payload` bytes a table leaf keeps on the page.
fn local_bytes(payload: usize) -> usize {
    if payload <= MAX_LOCAL {
        return payload;
    }
    let k = MIN_LOCAL + (payload - MIN_LOCAL) % (PAGE - 4);
    if k <= MAX_LOCAL { k } else { MIN_LOCAL }
}

/// An interior page over `children`: every child but the last is a cell keyed by the largest
/// rowid below it, the last is the right-most pointer. `header_at` is 100 on page 1.
fn interior(children: &[(u32, i64)], header_at: usize) -> Vec<u8> {
    let mut page = Page::new(header_at);
    let mut cell = Vec::with_capacity(13);
    let (last, cells) = children
        .split_last()
        .expect("an interior page has children");
    for &(child, key) in cells {
        cell.clear();
        cell.extend_from_slice(&child.to_be_bytes());
        push_varint(&mut cell, key as u64);
        page.push(&cell);
    }
    page.finish(INTERIOR, Some(last.0))
}

/// The 100-byte file header of a database of `pages` pages whose schema made `tables` tables:
/// a rollback journal (as the collection SQLite wrote after `journal_mode = DELETE`), no free
/// pages, UTF-8, schema format 4.
fn file_header(pages: u32, tables: u32) -> [u8; 100] {
    let mut header = [0u8; 100];
    header[..16].copy_from_slice(b"SQLite format 3\0");
    header[16..18].copy_from_slice(&(PAGE as u16).to_be_bytes());
    header[18] = 1;
    header[19] = 1;
    header[21] = 64;
    header[22] = 32;
    header[23] = 32;
    let put = |header: &mut [u8; 100], at: usize, value: u32| {
        header[at..at + 4].copy_from_slice(&value.to_be_bytes());
    };
    // The change counter, and the same value where it marks the page count as valid.
    put(&mut header, 24, 1);
    put(&mut header, 28, pages);
    // The schema cookie: SQLite bumps it once per table created.
    put(&mut header, 40, tables);
    put(&mut header, 44, 4);
    put(&mut header, 56, 1);
    put(&mut header, 92, 1);
    put(&mut header, 96, rusqlite::version_number() as u32);
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        push_varint(&mut out, value);
        out
    }

    #[test]
    fn varints_round_trip_at_every_length() {
        for value in [
            0,
            1,
            127,
            128,
            16383,
            16384,
            1 << 35,
            u64::MAX >> 8,
            u64::MAX,
        ] {
            let bytes = varint(value);
            assert_eq!(read_varint(&bytes), (value, bytes.len()), "{value}");
            assert_eq!(varint_len(value), bytes.len(), "{value}");
        }
        assert_eq!(varint(128), [0x81, 0x00]);
        assert_eq!(varint(u64::MAX).len(), 9);
    }

    const ROWS: i64 = 400_000;
    const NUMBERS: [i64; 11] = [
        0,
        1,
        -1,
        127,
        128,
        -129,
        40_000,
        1 << 30,
        1 << 40,
        i64::MIN,
        i64::MAX,
    ];

    /// Row `i` of table `a`: its rowid, number and text (one in a thousand overflows).
    fn row(i: i64) -> (i64, i64, String) {
        let id = i * 3 - 5;
        let text = if i % 1000 == 7 {
            "x".repeat((i as usize * 7919) % 40_000)
        } else {
            format!("row {id} {}", "z".repeat(80))
        };
        (id, NUMBERS[i as usize % NUMBERS.len()], text)
    }

    /// The test database's file: table `a` with [`ROWS`] rows, `b` with one of 100,000 bytes,
    /// `empty` with none. About 2,400 leaves: more than one interior page holds, so three
    /// levels.
    fn test_database() -> Vec<u8> {
        let schema = "CREATE TABLE a (id integer PRIMARY KEY, n integer NOT NULL, t text NOT NULL);
                      CREATE TABLE b (id integer PRIMARY KEY, t text NOT NULL);
                      CREATE TABLE empty (x integer NOT NULL);";
        let mut body = Vec::new();
        let mut db = Database::new(tables_of(schema).unwrap(), |page: &[u8]| {
            body.extend_from_slice(page);
            Ok(())
        });
        let mut cells = Vec::new();
        for i in 0..ROWS {
            let (id, n, text) = row(i);
            encode_cell(
                id,
                &[Value::RowId, Value::Int(n), Value::Text(&text)],
                &mut cells,
            );
            if cells.len() > 100_000 {
                db.append(0, &cells).unwrap();
                cells.clear();
            }
        }
        db.append(0, &cells).unwrap();
        cells.clear();
        let long = "y".repeat(100_000);
        encode_cell(9, &[Value::RowId, Value::Text(&long)], &mut cells);
        db.append(db.table("b"), &cells).unwrap();
        assert!(db.append(db.table("b"), &cells).is_err(), "a rowid twice");
        let (mut file, pages) = db.finish().unwrap();
        file.extend_from_slice(&body);
        assert_eq!(file.len(), pages as usize * PAGE);
        file
    }

    /// A database written here, read back by SQLite: every row and value as written, and
    /// SQLite's own integrity check passes, with rows long enough to overflow and enough of
    /// them for three levels of interior pages.
    #[test]
    fn sqlite_reads_back_what_was_written() {
        let dir = std::env::temp_dir().join(format!("deckforge-sqlite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        std::fs::write(&path, test_database()).unwrap();
        let check = rusqlite::Connection::open(&path).unwrap();
        let query = |sql: &str| -> String {
            check
                .query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(query("PRAGMA integrity_check"), "Text(\"ok\")");
        assert_eq!(
            query("SELECT length(t) FROM b WHERE id = 9"),
            "Integer(100000)"
        );
        assert_eq!(query("SELECT count(*) FROM empty"), "Integer(0)");
        let mut statement = check.prepare("SELECT id, n, t FROM a ORDER BY id").unwrap();
        let read: Vec<(i64, i64, String)> = statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(read.len(), ROWS as usize);
        for (i, read) in read.into_iter().enumerate() {
            assert!(read == row(i as i64), "row {i}");
        }
        drop(statement);
        drop(check);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
