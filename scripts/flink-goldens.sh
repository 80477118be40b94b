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

while_flink_starts() {
  javac -nowarn -d "$work/classes" -cp "$classpath" "$corpus/GoldenRunner.java"
}
# shellcheck source=scripts/lib/flink-cluster.sh
source scripts/lib/flink-cluster.sh
# Cases that read a jdbc table get a PostgreSQL of their own, holding data/dimensions.sql.
if grep -l -F '${JDBC_URL}' "${cases[@]}" >/dev/null; then
  # shellcheck source=scripts/lib/postgres.sh
  source scripts/lib/postgres.sh
  pg_script "$corpus/data/dimensions.sql" "$corpus/data"
  export JDBC_URL="$pg_url" JDBC_USER="$pg_user" JDBC_PASSWORD="$pg_password"
fi
echo "${#cases[@]} case(s), each run twice" >&2

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
