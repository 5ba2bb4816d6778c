//! Media in the package: local files streamed into it (never held in memory), and remote
//! images downloaded only when asked, from a server on 127.0.0.1 that each test starts.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::support::{TempDir, deckforge, run};

/// A PNG signature followed by `size - 8` bytes that do not compress.
fn incompressible_png(size: usize, seed: u32) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    while data.len() < size {
        // xorshift32: cheap bytes that deflate cannot shrink.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(size);
    data
}

/// Runs `command` under Python's `resource` module and returns its exit code, stderr and peak
/// resident memory in KiB (what `/usr/bin/time -v` reports as "Maximum resident set size").
fn run_measured(command: &Command) -> (i32, String, u64) {
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE)\n\
                  sys.stdout.write('%d\\n%d\\n' % (r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n\
                  sys.stdout.write(r.stderr.decode('utf-8', 'replace'))\n";
    let mut python = Command::new("python3");
    python.arg("-c").arg(script).arg(command.get_program());
    python.args(command.get_args());
    python.env_clear();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            python.env(key, value);
        }
    }
    if let Some(dir) = command.get_current_dir() {
        python.current_dir(dir);
    }
    let (code, stdout, stderr) = run(&mut python);
    assert_eq!(code, 0, "python3 runs the build: {stderr}");
    let mut lines = stdout.lines();
    let status: i32 = lines.next().unwrap().parse().unwrap();
    let peak: u64 = lines.next().unwrap().parse().unwrap();
    (status, lines.collect::<Vec<_>>().join("\n"), peak)
}

/// Issue 18 item 5: 100 images of 9.9 MiB took 2.2 GB. The images of a deck are streamed from
/// disk into the package, so peak memory stays far below what they weigh together.
#[test]
fn media_is_streamed_into_the_package_not_held_in_memory() {
    const IMAGES: usize = 12;
    const SIZE: usize = 9 << 20;
    let dir = TempDir::new("media-streamed");
    fs::create_dir(dir.join("img")).unwrap();
    let mut markdown = String::from("# Photos\n");
    for i in 0..IMAGES {
        fs::write(
            dir.join(&format!("img/p{i}.png")),
            incompressible_png(SIZE, i as u32),
        )
        .unwrap();
        markdown.push_str(&format!("\n## What is photo {i}?\n\n![](img/p{i}.png)\n"));
    }
    let source = dir.join("photos.md");
    fs::write(&source, markdown).unwrap();
    let out = dir.join("photos.apkg");
    let mut command = deckforge();
    command.arg("build").arg(&source).arg("-o").arg(&out);
    let (code, stderr, peak_kib) = run_measured(&command);
    assert_eq!(code, 0, "{stderr}");
    let total_kib = (IMAGES * SIZE / 1024) as u64;
    // Holding the media would need all of it at once (108 MiB here, plus the build itself).
    assert!(
        peak_kib < total_kib / 2,
        "peak {peak_kib} KiB for {total_kib} KiB of media"
    );

    // Every image is in the package whole, under its content's name.
    let mut archive = zip::ZipArchive::new(fs::File::open(&out).unwrap()).unwrap();
    let mut map = String::new();
    archive
        .by_name("media")
        .unwrap()
        .read_to_string(&mut map)
        .unwrap();
    let map: serde_json::Value = serde_json::from_str(&map).unwrap();
    assert_eq!(map.as_object().unwrap().len(), IMAGES);
    for (entry, name) in map.as_object().unwrap() {
        let mut data = Vec::new();
        archive
            .by_name(entry)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert_eq!(data.len(), SIZE);
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(name.as_str().unwrap(), format!("{hash}.png"));
    }
}

/// A package refers to media by content, so a file that changes after it was named must not be
/// packed under the old name: the unit test in src/write/apkg.rs changes it mid-build; here the
/// package is checked to hold the image as it was when the deck was built.
#[test]
fn a_rebuilt_image_gets_a_new_name() {
    let dir = TempDir::new("media-renamed");
    fs::write(dir.join("a.png"), incompressible_png(1000, 1)).unwrap();
    let source = dir.join("a.md");
    fs::write(&source, "## What is a?\n\n![](a.png)\n").unwrap();
    let out = dir.join("a.apkg");
    let names = |out: &Path| {
        let mut archive = zip::ZipArchive::new(fs::File::open(out).unwrap()).unwrap();
        let mut map = String::new();
        archive
            .by_name("media")
            .unwrap()
            .read_to_string(&mut map)
            .unwrap();
        map
    };
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let first = names(&out);
    fs::write(dir.join("a.png"), incompressible_png(1000, 2)).unwrap();
    let (code, _, stderr) = run(deckforge().arg("build").arg(&source).arg("-o").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(first, names(&out));
}
