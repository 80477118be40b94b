#!/usr/bin/env bash
# Runs every test: installs the servers the integration tests need, then the workspace tests,
# and closes with one line counting them.
set -euo pipefail
cd "$(dirname "$0")/.."

while IFS= read -r line; do
  export "${line?}"
done < <(bash scripts/install-test-tools.sh)

# The Flink operator's and Strimzi's CRD schemas, kept beside the checkout (never copied into
# it): the deploy targets' custom resources are validated against them.
if [ -z "${PIPEGEN_K8S_CRDS:-}" ] && [ -d ../shared/k8s-crds ]; then
  PIPEGEN_K8S_CRDS="$(cd ../shared/k8s-crds && pwd)"
  export PIPEGEN_K8S_CRDS
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
count() { grep -Eo "[0-9]+ $1" "$log" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(count passed) passed, $(count failed) failed"
exit "$status"
