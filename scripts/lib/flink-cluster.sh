# Sourced by the scripts that run statements on a real Apache Flink 2.1 cluster
# (flink-goldens.sh, flink-bench.sh): starts a JobManager and a TaskManager on 127.0.0.1 (free
# ports, their own temporary directory `$work`), waits until the TaskManager registered, and
# stops both by PID when the script exits (also on an error or Ctrl-C).
#
# Needs `flink_home` (a Flink 2.1.0 distribution); may define `while_flink_starts` (run while
# the cluster starts, with `$work/classes` and `classpath` set). Sets `rest_port`, `java_opts`,
# `classpath` and `work`; a client the script runs in the background goes in `client`, so that
# it is stopped too.

work="$(mktemp -d "${TMPDIR:-/tmp}/flink-cluster.XXXXXX")"
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

# The caller's preparation (compiling its client) while the cluster starts.
classpath="$flink_home/lib/*"
if declare -F while_flink_starts >/dev/null; then
  while_flink_starts
fi

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
echo "Flink $(basename "$flink_home/lib/flink-dist-"*.jar .jar | sed 's/flink-dist-//') on 127.0.0.1:$rest_port, a TaskManager after $((SECONDS - started)) s" >&2

