//! INPUT paths as the user meant them. A folder stands for every Markdown file below it; a
//! glob the shell left alone (Windows' cmd and PowerShell expand none, and a quoted one reaches
//! us on any shell) is expanded here; `--exclude` leaves files out of both.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// The extensions a folder's files are taken by, as `build` reads them.
const MARKDOWN: [&str; 3] = ["md", "markdown", "mdown"];

/// Expands folders and globs in `inputs`, in the order given (a folder's and a glob's files
/// sorted by path), each file once. An error is a message for the user.
pub fn expand(inputs: &[PathBuf], exclude: &[String]) -> Result<Vec<PathBuf>, String> {
    let exclude = exclude_set(exclude)?;
    let mut files: Vec<PathBuf> = Vec::new();
    for input in inputs {
        let found = if input.is_dir() {
            let found = walk(input, &|path| is_markdown(path), &exclude);
            if found.is_empty() {
                return Err(format!(
                    "{}: the folder holds no Markdown (.md) file{}",
                    input.display(),
                    if exclude.is_empty() {
                        ""
                    } else {
                        " that --exclude leaves in"
                    }
                ));
            }
            found
        } else if !input.exists() && is_glob(input) {
            let found = glob(input, &exclude)?;
            if found.is_empty() {
                return Err(format!("{}: no file matches this pattern", input.display()));
            }
            found
        } else {
            vec![input.clone()]
        };
        for file in found {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

fn exclude_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        set.add(
            Glob::new(&slashes(pattern))
                .map_err(|e| format!("--exclude {pattern:?} is not a valid pattern: {e}"))?,
        );
    }
    set.build().map_err(|e| format!("--exclude: {e}"))
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| MARKDOWN.contains(&e.as_str()))
}

fn is_glob(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?', '[', '{'])
}

/// A pattern or path with `/` between components, so one pattern matches on every system.
fn slashes(text: &str) -> String {
    text.replace('\\', "/")
}

/// The files below `root` that `keep` takes and `exclude` does not, sorted, skipping hidden
/// files and folders. `exclude` matches the path below `root` or the file's name alone.
fn walk(root: &Path, keep: &dyn Fn(&Path) -> bool, exclude: &GlobSet) -> Vec<PathBuf> {
    let hidden = |entry: &walkdir::DirEntry| {
        entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.')
    };
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !hidden(entry))
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file() && keep(entry.path()))
        .filter(|entry| {
            let below = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let below = slashes(&below.to_string_lossy());
            !exclude.is_match(&below) && !exclude.is_match(entry.file_name())
        })
        .map(|entry| entry.into_path())
        .collect()
}

/// The files a glob matches, searched from the folder before its first wildcard component.
/// Split on either slash, so `notes\\*.md` works on every system.
fn glob(pattern: &Path, exclude: &GlobSet) -> Result<Vec<PathBuf>, String> {
    let text = slashes(&pattern.to_string_lossy());
    let segments: Vec<&str> = text.split('/').collect();
    let wild = segments
        .iter()
        .position(|s| is_glob(Path::new(s)))
        .unwrap_or(segments.len());
    let root = match segments[..wild].join("/") {
        literal if literal.is_empty() && text.starts_with('/') => PathBuf::from("/"),
        literal => PathBuf::from(literal),
    };
    let matcher = GlobBuilder::new(&segments[wild..].join("/"))
        .literal_separator(true)
        .build()
        .map_err(|e| format!("{}: not a valid pattern: {e}", pattern.display()))?
        .compile_matcher();
    let start = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root.as_path()
    };
    let files = walk(
        start,
        &|path| {
            let below = path.strip_prefix(start).unwrap_or(path);
            matcher.is_match(slashes(&below.to_string_lossy()))
        },
        exclude,
    );
    // Named as the user wrote the pattern: `notes/*.md` gives `notes/a.md`, not `./notes/a.md`.
    Ok(files
        .into_iter()
        .map(|file| {
            let below = file.strip_prefix(start).unwrap_or(&file).to_path_buf();
            root.join(below)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str, files: &[&str]) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("deckforge-inputs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for file in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "1. **Q?**\n   - Answer: A.\n").unwrap();
        }
        root
    }

    fn names(root: &Path, files: Vec<PathBuf>) -> Vec<String> {
        files
            .iter()
            .map(|f| slashes(&f.strip_prefix(root).unwrap().to_string_lossy()))
            .collect()
    }

    #[test]
    fn a_folder_is_its_markdown_files_sorted_without_hidden_or_excluded_ones() {
        let root = tree(
            "folder",
            &[
                "b.md",
                "a.md",
                "sub/c.markdown",
                "sub/notes.txt",
                ".git/x.md",
                "drafts/d.md",
                "e.draft.md",
            ],
        );
        let all = expand(std::slice::from_ref(&root), &[]).unwrap();
        assert_eq!(
            names(&root, all),
            [
                "a.md",
                "b.md",
                "drafts/d.md",
                "e.draft.md",
                "sub/c.markdown"
            ]
        );
        let some = expand(
            std::slice::from_ref(&root),
            &["drafts/**".to_string(), "*.draft.md".to_string()],
        )
        .unwrap();
        assert_eq!(names(&root, some), ["a.md", "b.md", "sub/c.markdown"]);
        let error = expand(&[root.join("sub").join("empty-after")], &[]).unwrap();
        assert_eq!(
            error.len(),
            1,
            "a missing plain path is left for the reader to report"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn globs_the_shell_left_alone_are_expanded_with_either_slash() {
        let root = tree(
            "glob",
            &["one/a.md", "one/b.md", "one/deep/c.md", "two/d.md"],
        );
        let star = expand(&[root.join("one").join("*.md")], &[]).unwrap();
        assert_eq!(names(&root, star), ["one/a.md", "one/b.md"]);
        let deep = PathBuf::from(format!("{}\\**\\*.md", root.display()));
        let deep = expand(&[deep], &["d.md".to_string()]).unwrap();
        let mut deep = names(
            &root,
            deep.into_iter()
                .map(|p| PathBuf::from(slashes(&p.to_string_lossy())))
                .collect(),
        );
        deep.sort();
        assert_eq!(deep, ["one/a.md", "one/b.md", "one/deep/c.md"]);
        let none = expand(&[root.join("*.csv")], &[]).unwrap_err();
        assert!(none.contains("no file matches"), "{none}");
        let folder = expand(&[root.join("two")], &["*.md".to_string()]).unwrap_err();
        assert!(folder.contains("--exclude"), "{folder}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
