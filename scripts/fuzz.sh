#!/usr/bin/env bash
# Fuzzes pipegen's parsers and decoders of hostile input with cargo-fuzz on the stable
# toolchain (no sanitizer). Not part of CI.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Runs each target (default: all) one after the other for the given time (default 60 s),
# growing its corpus in fuzz/corpus/<target>/, and prints per target the executions, the time
# and the crashes found (inputs that panic, abort, time out or run out of memory, kept in
# fuzz/artifacts/<target>/). A crash does not stop the run: libFuzzer's fork mode goes on
# and keeps every crashing input. Exit 1 if any target crashed.
set -euo pipefail

cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# Debug assertions and overflow checks on: an overflow on hostile input is a bug too.
build=(--sanitizer none --debug-assertions)
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build "${build[@]}"

logs=fuzz/artifacts/logs
mkdir -p "$logs"
summary=()
failed=0
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    marker="$logs/$target.start"
    touch "$marker"
    log="$logs/$target.log"
    echo "fuzzing $target for ${seconds}s (log: $log)" >&2
    start=$(date +%s)
    # One job at a time (-fork=1): the machine may be busy; crashes, timeouts and OOMs are
    # kept and the run goes on.
    cargo fuzz run "${build[@]}" "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -artifact_prefix="fuzz/artifacts/$target/" >"$log" 2>&1 || true
    elapsed=$(( $(date +%s) - start ))
    # The last status line: "#EXECS: cov: ... exec/s: N oom/timeout/crash: a/b/c time: Ts ...".
    status=$(grep -a -E '^#[0-9]+:' "$log" | tail -n 1 || true)
    execs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$status")
    fuzzed=$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$status")
    # exec/s over the whole run (the status line's figure is the last job's).
    rate=$(( ${execs:-0} / (${fuzzed:-0} > 0 ? ${fuzzed:-1} : 1) ))
    crashes=$(find "fuzz/artifacts/$target" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) -newer "$marker" | wc -l)
    # A stack overflow can kill a job before it writes its input: count what libFuzzer saw too.
    seen=$(sed -nE 's/.*oom\/timeout\/crash: ([0-9]+)\/([0-9]+)\/([0-9]+).*/\1 \2 \3/p' <<<"$status")
    seen=$(( $(tr ' ' '+' <<<"${seen:-0}") ))
    [ "$seen" -le "$crashes" ] || crashes="$crashes ($seen seen)"
    corpus=$(find "fuzz/corpus/$target" -maxdepth 1 -type f | wc -l)
    [ "$crashes" = 0 ] || failed=1
    summary+=("$(printf '%-18s %8ss %8ss %12s %9s %8s %s' "$target" "${fuzzed:-?}" "$elapsed" "${execs:-?}" "$rate" "$corpus" "$crashes")")
done

printf '\n%-18s %9s %9s %12s %9s %8s %8s\n' target fuzzed wall executions exec/s corpus crashes
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "crashing inputs are in fuzz/artifacts/<target>/; reproduce one with:" >&2
    echo "  cargo fuzz run --sanitizer none --debug-assertions <target> fuzz/artifacts/<target>/<file>" >&2
fi
exit "$failed"
