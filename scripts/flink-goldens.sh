#!/usr/bin/env bash
# Writes the engine's conformance goldens (crates/engine/tests/conformance/golden/*.json) from a
# real Apache Flink 2.1 cluster: starts its own JobManager and TaskManager on 127.0.0.1 (free
# ports, its own temporary directories), compiles GoldenRunner.java against the distribution's
# lib/, runs every case (or the cases named) twice through it, and stops the cluster by PID at
# the end, also on an error or Ctrl-C.
#
#   bash scripts/flink-goldens.sh                 # every case
#   bash scripts/flink-goldens.sh over_rows_preceding tumble_count   # some cases
#
# The Flink distribution comes from scripts/install-test-tools.sh (or PIPEGEN_TEST_FLINK_HOME
# when set). CASE_TIMEOUT (seconds, default 300) bounds each run of a case.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=crates/engine/tests/conformance

if [ -z "${PIPEGEN_TEST_FLINK_HOME:-}" ]; then
  while IFS= read -r line; do
    export "${line?}"
  done < <(bash scripts/install-test-tools.sh)
fi
flink_home="$PIPEGEN_TEST_FLINK_HOME"
if [ ! -f "$flink_home/lib/flink-dist-2.1.0.jar" ]; then
  echo "error: $flink_home is not a Flink 2.1.0 distribution (no lib/flink-dist-2.1.0.jar)" >&2
  exit 1
fi

cases=()
if [ $# -eq 0 ]; then
  cases=("$corpus"/cases/*.sql)
else
  for name in "$@"; do
    name="${name##*/}"
    name="${name%.sql}"
    if [ ! -f "$corpus/cases/$name.sql" ]; then
      echo "error: no case $corpus/cases/$name.sql" >&2
      exit 1
    fi
    cases+=("$corpus/cases/$name.sql")
  done
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/flink-goldens.XXXXXX")"
pids=()
client=""
stop_cluster() {
  if [ -n "$client" ]; then
    kill "$client" 2>/dev/null || true
  fi
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in ${pids[@]+"${pids[@]}"}; do
    # Each JVM gets 30 s to shut down, then it is killed.
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  pids=()
}
cleanup() {
  status=$?
  stop_cluster
  if [ "$status" -ne 0 ] && [ -d "$work/log" ]; then
    echo "the cluster's logs are kept in $work/log" >&2
    rm -rf "$work/tmp" "$work/classes"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rest_port="$(free_port)"
rpc_port="$(free_port)"
while [ "$rpc_port" = "$rest_port" ]; do rpc_port="$(free_port)"; done

mkdir -p "$work/conf" "$work/log" "$work/tmp" "$work/classes"
cp "$flink_home"/conf/log4j*.properties "$work/conf/"
# The distribution's JVM options (the module opens Flink needs on Java 17), kept as shipped.
java_opts="$(sed -n 's/^[[:space:]]*all:[[:space:]]*//p' "$flink_home/conf/config.yaml" | head -n 1)"
cat > "$work/conf/config.yaml" <<YAML
env.java.opts.all: "$java_opts"
jobmanager.bind-host: 127.0.0.1
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $rpc_port
jobmanager.memory.process.size: 1024m
taskmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
taskmanager.numberOfTaskSlots: 2
taskmanager.memory.process.size: 1728m
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $rest_port
blob.server.port: 0
io.tmp.dirs: $work/tmp
web.tmpdir: $work/tmp
YAML

export FLINK_CONF_DIR="$work/conf" FLINK_LOG_DIR="$work/log" FLINK_PID_DIR="$work/tmp"
# start-foreground execs the JVM, so $! is the JVM's PID.
"$flink_home/bin/jobmanager.sh" start-foreground >"$work/log/jobmanager.out" 2>&1 &
pids+=("$!")
"$flink_home/bin/taskmanager.sh" start-foreground >"$work/log/taskmanager.out" 2>&1 &
pids+=("$!")

# Compile the runner while the cluster starts.
classpath="$flink_home/lib/*"
javac -nowarn -d "$work/classes" -cp "$classpath" "$corpus/GoldenRunner.java"

started=$SECONDS
until python3 - "$rest_port" <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/overview", timeout=5) as r:
        sys.exit(0 if json.load(r).get("taskmanagers", 0) >= 1 else 1)
except Exception:
    sys.exit(1)
PY
do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: a Flink process exited while starting; see $work/log" >&2
      exit 1
    fi
  done
  if [ $((SECONDS - started)) -gt 180 ]; then
    echo "error: no TaskManager registered with Flink on 127.0.0.1:$rest_port after 180 s; see $work/log" >&2
    exit 1
  fi
  sleep 1
done
echo "Flink $(basename "$flink_home/lib/flink-dist-"*.jar .jar | sed 's/flink-dist-//') on 127.0.0.1:$rest_port, a TaskManager after $((SECONDS - started)) s; ${#cases[@]} case(s), each run twice" >&2

mkdir -p "$corpus/golden"
# The client's own log goes to a file; its progress (one line per case) to stdout.
# shellcheck disable=SC2086 # the shipped JVM options are a space-separated list
# In the background, so that a signal reaches the traps at once; `wait` passes on its status.
java $java_opts -Xmx768m \
  -Dlog.file="$work/log/client.log" \
  -Dlog4j.configurationFile="file:$work/conf/log4j-cli.properties" \
  -cp "$classpath:$work/classes" GoldenRunner \
  127.0.0.1 "$rest_port" "$corpus/data" "$corpus/golden" "${CASE_TIMEOUT:-300}" "${cases[@]}" &
client=$!
if ! wait "$client"; then
  client=""
  echo "error: some cases failed (see the FAIL lines above); their goldens were left as they were" >&2
  exit 1
fi
client=""
echo "done: ${#cases[@]} case(s) in $SECONDS s" >&2
