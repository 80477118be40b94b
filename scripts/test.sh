#!/usr/bin/env bash
# Runs every test: installs the servers the integration tests need, then the workspace tests,
# and closes with one line counting them.
set -euo pipefail
cd "$(dirname "$0")/.."

while IFS= read -r line; do
  export "${line?}"
done < <(bash scripts/install-test-tools.sh)

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
count() { grep -Eo "[0-9]+ $1" "$log" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(count passed) passed, $(count failed) failed"
exit "$status"
