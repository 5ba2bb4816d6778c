//! The floor for `benches/run.sh`: SQLite bulk-inserting a deck's rows into Anki's schema 11 with
//! its indexes, then deflating the file into a package, with no Markdown, rendering or hashing.
//!
//! Usage: `floor SOURCE.anki2 OUT.apkg [LEVEL]`. The rows are read from a collection deckforge
//! built, so the floor writes exactly the rows deckforge writes; reading them is not timed. It
//! prints the seconds taken from creating the database to the synced package, the same work
//! deckforge's writer does after planning.

use std::fs::File;
use std::io::Write;
use std::time::Instant;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn rows(db: &Connection, table: &str) -> Vec<Vec<Value>> {
    let mut statement = db
        .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
        .unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| row.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn insert(tx: &rusqlite::Transaction, table: &str, rows: &[Vec<Value>]) {
    let Some(first) = rows.first() else { return };
    let marks = vec!["?"; first.len()].join(",");
    let mut statement = tx
        .prepare(&format!("INSERT INTO {table} VALUES ({marks})"))
        .unwrap();
    for row in rows {
        statement.execute(params_from_iter(row)).unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 || args[1] == "--bench" {
        eprintln!("usage: floor SOURCE.anki2 OUT.apkg [LEVEL]; benches/run.sh runs it");
        // `cargo bench` runs every bench target with `--bench`: not a failure.
        std::process::exit(if args.get(1).is_some_and(|a| a == "--bench") {
            0
        } else {
            2
        });
    }
    let level: i64 = args.get(3).map_or(1, |l| l.parse().unwrap());
    let source = Connection::open(&args[1]).unwrap();
    let (col, notes, cards) = (
        rows(&source, "col"),
        rows(&source, "notes"),
        rows(&source, "cards"),
    );
    drop(source);
    let out = std::path::Path::new(&args[2]);
    let db_path = out.with_extension("floor.anki2");
    let _ = std::fs::remove_file(&db_path);

    let start = Instant::now();
    let mut db = Connection::open(&db_path).unwrap();
    db.execute_batch(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
    )
    .unwrap();
    db.execute_batch(include_str!("../src/write/schema11.sql"))
        .unwrap();
    let tx = db.transaction().unwrap();
    insert(&tx, "col", &col);
    insert(&tx, "notes", &notes);
    insert(&tx, "cards", &cards);
    tx.commit().unwrap();
    db.execute_batch(include_str!("index11.sql")).unwrap();
    db.close().unwrap();

    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(level));
    let mut zip = ZipWriter::new(File::create(out).unwrap());
    zip.start_file("collection.anki2", options).unwrap();
    std::io::copy(&mut File::open(&db_path).unwrap(), &mut zip).unwrap();
    zip.start_file("media", options).unwrap();
    zip.write_all(b"{}").unwrap();
    zip.finish().unwrap().sync_all().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    std::fs::remove_file(&db_path).unwrap();
    println!("{seconds:.6}");
}
