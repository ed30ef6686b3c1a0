#!/bin/bash
# Makes goldfish.db: a project database written by a goldfish from before the records migration
# (v7-records). Usage: make.sh OLD_GOLDFISH PLUGIN_FOLDER (libGoldfishLocal.so + goldfish-runner).
set -euo pipefail
old=$1 plugins=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
export HOME=$work/home GOLDFISH_PLUGIN_PATH=$plugins GOLDFISH_PYTHON_PATH=$repo/python
mkdir -p "$HOME"
"$old" init demo --path "$work/proj" --from "$repo/Examples/Pipeline"
cd "$work/proj"
mkdir -p data && cp "$repo/Examples/Pipeline/points.csv" data/
"$old" source register points data/points.csv --description "noisy points on a line" --reason "the data every stage reads"
"$old" workspace create line --goal "fit a line to noisy points" --reason "the first experiment of the fixture"
"$old" workspace mount line w1 --reason "work on the line fit now"
echo "# notes" > workspaces/w1/NOTES.md
"$old" workspace checkpoint w1 --message "a checkpoint saved by hand before any run"
# The whole pipeline completes: three completed stage runs with metrics (train: loss, evaluate: mse).
"$old" run w1 --wait --reason "the whole pipeline, expected to complete"
# preprocess again, unchanged: a completed run reused from the first one.
"$old" run w1 preprocess --wait --reason "unchanged, expected to be reused"
# train exits 3: a failed run.
printf 'import sys\nprint("about to fail")\nsys.exit(3)\n' > workspaces/w1/modules/train.py
"$old" run w1 train --wait --reason "a broken train, expected to fail" || true
echo "train fails with exit code 3" >> workspaces/w1/NOTES.md
"$old" workspace checkpoint w1 --message "a second checkpoint after the failure"
# A train that sleeps, canceled while it runs: a canceled run.
printf 'import time\ntime.sleep(120)\n' > workspaces/w1/modules/train.py
started=$("$old" run w1 train --json --reason "a slow train, expected to be canceled")
prun=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["pipeline_run_id"])' <<<"$started")
stage=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["stage_runs"]["train"])' <<<"$started")
for _ in $(seq 100); do "$old" runs | grep -q "$stage.*running" && break; sleep 0.2; done
"$old" cancel "$stage" --reason "canceled on purpose for the fixture"
for _ in $(seq 150); do pgrep -f "$prun" >/dev/null || break; sleep 0.2; done
"$old" status
# Every goldfish process has exited: fold the WAL into the file so the copy needs no -wal/-shm.
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' \
  .goldfish/goldfish.db
cp .goldfish/goldfish.db "$here/goldfish.db.tmp"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=DELETE")' \
  "$here/goldfish.db.tmp"
mv "$here/goldfish.db.tmp" "$here/goldfish.db"
rm -rf "$work"
