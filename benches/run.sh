#!/usr/bin/env bash
# Times deckforge against ankdown 0.7.1, genanki 0.13.1 and the SQLite floor; see README "Performance".
#
#   benches/run.sh                  1,000 and 100,000 cards, 5 repetitions
#   benches/run.sh --million        also 1,000,000 cards (several minutes)
#   benches/run.sh --sizes 1000,10000 --reps 3
#   benches/run.sh --ankdown-max 100000   (leave ankdown out above 100,000 cards: it is slow)
#
# It builds the release binary and the floor (benches/floor.rs), creates a virtual environment
# with genanki and ankdown under target/bench/venv, and installs GNU time with apt-get if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=1000,100000
reps=5
ankdown_max=()
while [ $# -gt 0 ]; do
  case "$1" in
    --million) sizes="$sizes,1000000"; shift ;;
    --sizes) sizes="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --ankdown-max) ankdown_max=(--ankdown-max "$2"); shift 2 ;;
    *) echo "usage: benches/run.sh [--million] [--sizes N,N...] [--reps R] [--ankdown-max N]" >&2; exit 2 ;;
  esac
done

if ! /usr/bin/time -v true >/dev/null 2>&1; then
  apt-get install -y time >/dev/null || sudo apt-get install -y time >/dev/null
fi

venv=target/bench/venv
if ! "$venv/bin/python" -c "import genanki" 2>/dev/null || [ ! -x "$venv/bin/ankdown" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet genanki==0.13.1 ankdown==0.7.1
fi

cargo build --release --quiet
floor=$(cargo bench --bench floor --no-run 2>&1 | sed -n 's/.*Executable.*(\(.*\))/\1/p')

python3 benches/bench.py --deckforge target/release/deckforge --floor "$floor" \
  --python "$venv/bin/python" --sizes "$sizes" --reps "$reps" "${ankdown_max[@]}"
