#!/usr/bin/env bash
# Runs every test: installs the servers the integration tests need, then the workspace tests.
set -euo pipefail
cd "$(dirname "$0")/.."

while IFS= read -r line; do
  export "${line?}"
done < <(bash scripts/install-test-tools.sh)

cargo test --workspace --locked "$@"
