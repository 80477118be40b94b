#!/usr/bin/env bash
# A long run on the embedded stack: the default project (10 s tumbling windows) at a steady
# rate, the pipegen process's resident memory sampled every 5 s. Reports the memory at the end
# of the first minute and at the end, and checks from the JSON result that every produced record
# reached the window job, none was late, and each entered exactly one window.
#
#   bash scripts/bench-run-memory.sh [DURATION] [RATE]     (defaults: 600s, 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-600s}"
rate="${2:-50000}"

cargo build --release --locked -p pipegen
pipegen="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/release/pipegen"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$pipegen" init memory >/dev/null

"$pipegen" --project-dir memory run --duration "$duration" --message-rate "$rate" -q >run.out 2>&1 &
pid=$!
start=$(date +%s)
: >rss.txt
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss" >>rss.txt
  sleep 5
done
wait "$pid" || { cat run.out; exit 1; }

python3 - rss.txt memory/reports/*.json <<'PY'
import json, sys
samples = [tuple(map(int, line.split())) for line in open(sys.argv[1]) if line.strip()]
result = json.load(open(sys.argv[2]))
after_first_minute = [kb for t, kb in samples if t >= 60]
first = after_first_minute[0] if after_first_minute else None
last = samples[-1][1] if samples else None
peak = max(kb for _, kb in samples) if samples else None
print(f"samples: {len(samples)} over {samples[-1][0] if samples else 0} s")
if first:
    print(f"resident memory at 60 s: {first / 1024:.0f} MB; at the end: {last / 1024:.0f} MB; peak: {peak / 1024:.0f} MB")
    print(f"growth after the first minute: {(last - first) / first * 100:+.1f}% (bar: under 10%)")
p, job = result["producer"], result["jobs"][0]
print(f"produced {p['sent']} (acked {p['acked']}, failed {p['failed']}) at {p['achieved_rate']:.0f} msg/s")
print(f"window job read {job['records_in']}, late {job['late_records_dropped']}, results {job['records_out']}, windows still open {job['open_windows']}")
print("every acked record reached the window job:", job["records_in"] == p["acked"])
window = next((o for o in job.get("operators", []) if o["name"] == "WindowAggregate"), None)
if window:
    # A tumbling window takes each on-time record exactly once.
    print(f"rows into the windows {window['records_in']}, window rows out {window['records_out']}")
    print("every on-time record entered exactly one window:",
          window["records_in"] == job["records_in"] - job["late_records_dropped"])
PY
