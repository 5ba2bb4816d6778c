#!/usr/bin/env bash
# The package and CSV round trip (tests/anki/versions.py) against older releases of the real Anki
# engine from PyPI, beside the pinned one `cargo test` uses. Slow (a virtual environment per
# version, about a minute each on first run), so it is not part of `cargo test`.
#
#   tests/anki/versions.sh                 # 2.1.49 2.1.66 23.12.1 25.02.7 26.9.3
#   tests/anki/versions.sh 2.1.66          # only these versions
#
# Environments are kept under target/tmp/anki-venv-VERSION and reused. Exit status 1 if any
# check fails on any version; a summary table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  versions=(2.1.49 2.1.66 23.12.1 25.02.7 26.9.3)
fi

cargo build --release --quiet
deckforge="$PWD/target/release/deckforge"
mkdir -p target/tmp
status=0
summary=()
for version in "${versions[@]}"; do
  venv="target/tmp/anki-venv-$version"
  if [ ! -f "$venv/.ready" ]; then
    echo "versions.sh: creating $venv with anki==$version from PyPI (about a minute)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    extra=()
    # 2.1.49's generated protobuf code predates protobuf 4.
    case "$version" in 2.1.4*) extra=(protobuf==3.20.3) ;; esac
    "$venv/bin/pip" install --quiet --disable-pip-version-check "anki==$version" "${extra[@]}"
    touch "$venv/.ready"
  fi
  work="$(mktemp -d)"
  if "$venv/bin/python" tests/anki/versions.py "$deckforge" examples/mlops-interview-questions.md "$work" \
      > "$work/result.jsonl"; then
    summary+=("$version: all checks passed")
  else
    status=1
    summary+=("$version: FAILED: $(grep '"ok": false' "$work/result.jsonl" | sed 's/.*"check": "\([^"]*\)".*/\1/' | paste -sd ';' -)")
  fi
  cat "$work/result.jsonl"
  rm -rf "$work"
done
printf '%s\n' "${summary[@]}"
exit $status
