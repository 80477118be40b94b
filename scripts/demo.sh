#!/usr/bin/env bash
# The main job on this machine: build pipegen, scaffold each kind of project (the built-in
# template, one from an AVRO schema, one from a CSV file), validate each, show the run plan, and
# run the default project end to end on the embedded stack (nothing else installed).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -p pipegen
pipegen="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/pipegen"
examples="$(pwd)/examples"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n== %s\n' "$*"; }

"$pipegen" version

step "pipegen init demo"
"$pipegen" init demo
"$pipegen" validate --project-dir demo
"$pipegen" run --dry-run --project-dir demo

step "pipegen run (embedded stack: 25 s of load, 10 s windows, 5 s watermark delay)"
"$pipegen" run --project-dir demo --duration 25s
ls demo/reports

step "pipegen init from-schema --input-schema examples/user-event.avsc"
"$pipegen" init from-schema --input-schema "$examples/user-event.avsc"
"$pipegen" validate --project-dir from-schema

step "pipegen init from-csv --input-csv examples/sales.csv"
"$pipegen" init from-csv --input-csv "$examples/sales.csv"
"$pipegen" validate --project-dir from-csv
cat from-csv/sql/01_source.sql
