#!/usr/bin/env bash
# The Kafka producer benchmark: installs the broker (tansu) and the Python peer
# (confluent-kafka) when missing, then runs the side-by-side benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."

while IFS= read -r line; do
  export "${line?}"
done < <(bash scripts/install-test-tools.sh)

venv="${PIPEGEN_TOOLS_DIR:-$HOME/.cache/pipegen/tools}/venv"
if ! "$venv/bin/python" -c "import confluent_kafka" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check confluent-kafka >&2
fi
export PIPEGEN_BENCH_PYTHON="$venv/bin/python"
cargo bench --locked -p pipegen-kafka --bench produce
