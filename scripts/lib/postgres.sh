# Sourced after flink-cluster.sh by a script whose statements read a `jdbc` table: starts a
# real PostgreSQL (Debian's, from PIPEGEN_TEST_POSTGRES_BIN) on 127.0.0.1 and a free port, in
# `$work/postgres`, with password authentication, and adds its PID to `pids` so that the
# cluster's cleanup stops it too.
#
# Sets `pg_port`, `pg_url` (the JDBC URL), `pg_user` and `pg_password`; `pg_script FILE DIR`
# runs a psql script with DIR as the working directory (where its `\copy` paths start).

pg_bin="${PIPEGEN_TEST_POSTGRES_BIN:?PIPEGEN_TEST_POSTGRES_BIN is not set (scripts/install-test-tools.sh prints it)}"
pg_user=pipegen
pg_password=goldens-secret
pg_port="$(free_port)"
pg_dir="$work/postgres"
mkdir -p "$pg_dir"
printf '%s' "$pg_password" > "$pg_dir/password"

# PostgreSQL refuses to run as root: then its programs run as the `postgres` user.
as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" = 0 ]; then
  chmod o+x "$work"
  chown -R postgres:postgres "$pg_dir"
fi
as_server_user "$pg_bin/initdb" -D "$pg_dir/data" -U "$pg_user" --auth=scram-sha-256 \
  --pwfile="$pg_dir/password" >"$pg_dir/initdb.log" 2>&1
as_server_user "$pg_bin/postgres" -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" \
  -c listen_addresses=127.0.0.1 -c fsync=off >"$pg_dir/server.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 120); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U "$pg_user" && break
  sleep 0.5
done
if ! "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U "$pg_user"; then
  echo "error: PostgreSQL did not start; its log: $pg_dir/server.log" >&2
  exit 1
fi
pg_url="jdbc:postgresql://127.0.0.1:$pg_port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port" >&2

pg_script() {
  local script
  script="$(realpath "$1")"
  (cd "$2" && PGPASSWORD="$pg_password" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -f "$script")
}
