#!/usr/bin/env bash
# Flink 2.1's figures for the engine benchmarks: runs the statements of
# crates/engine/benches/sql on a real Flink cluster (its own JobManager and TaskManager on
# 127.0.0.1, started and stopped by scripts/lib/flink-cluster.sh), each query RUNS times
# (default 3), and prints each run's job duration and rate and the median, for
# crates/engine/benches/README.md.
#
#   bash scripts/flink-bench.sh                     # every query
#   bash scripts/flink-bench.sh over window_join    # some
#
# Queries: a, b, hop, over (5,000,000 rows of benches/sql/source.sql), interval_join,
# window_join, temporal_join (2 x 1,000,000 rows), lookup_join and lookup_join_cached
# (200,000 rows joined with a PostgreSQL table of 10,000 rows, started here). Run it on a quiet
# machine: the figures are only comparable with the engine's measured the same hour.
set -euo pipefail
cd "$(dirname "$0")/.."
sql=crates/engine/benches/sql
corpus=crates/engine/tests/conformance

queries=("$@")
if [ ${#queries[@]} -eq 0 ]; then
  queries=(a b hop over interval_join window_join temporal_join lookup_join lookup_join_cached)
fi
for query in "${queries[@]}"; do
  case "$query" in
    a | b | hop | over | interval_join | window_join | temporal_join | lookup_join | lookup_join_cached) ;;
    *)
      echo "error: no benchmark query '$query' (a, b, hop, over, interval_join, window_join, temporal_join, lookup_join, lookup_join_cached)" >&2
      exit 2
      ;;
  esac
done

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

while_flink_starts() {
  javac -nowarn -d "$work/classes" -cp "$classpath" "$corpus/GoldenRunner.java" crates/engine/benches/flink/BenchRunner.java
}
# shellcheck source=scripts/lib/flink-cluster.sh
source scripts/lib/flink-cluster.sh
case " ${queries[*]} " in
  *" lookup_join"*)
    # shellcheck source=scripts/lib/postgres.sh
    source scripts/lib/postgres.sh
    pg_script "$sql/lookup_dimension.sql" "$sql"
    export JDBC_URL="$pg_url" JDBC_USER="$pg_user" JDBC_PASSWORD="$pg_password"
    ;;
esac

for query in "${queries[@]}"; do
  case "$query" in
    a | b | hop | over) files=("$sql/source.sql" "$sql/$query.sql") rows=5000000 ;;
    interval_join) files=("$sql/interval_join.sql") rows=2000000 ;;
    window_join | temporal_join) files=("$sql/two_streams.sql" "$sql/$query.sql") rows=2000000 ;;
    lookup_join | lookup_join_cached) files=("$sql/lookup_source.sql" "$sql/$query.sql") rows=200000 ;;
  esac
  # shellcheck disable=SC2086 # the shipped JVM options are a space-separated list
  java $java_opts -Xmx768m \
    -Dlog.file="$work/log/client.log" \
    -Dlog4j.configurationFile="file:$work/conf/log4j-cli.properties" \
    -cp "$classpath:$work/classes" BenchRunner \
    127.0.0.1 "$rest_port" "$query" "$rows" "${RUNS:-3}" "${files[@]}" &
  client=$!
  wait "$client"
  client=""
done
