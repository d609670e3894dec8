#!/usr/bin/env bash
# Exchanges an Iceberg table between Floe and real peers: Floe creates and appends, pyiceberg appends
# concurrently through the same catalog.db, Floe appends again, then pyiceberg, fastavro and DuckDB check it.
# Usage: run_interop.sh [file|path] [PACKAGE_DIR]   (scheme of table locations; package to `swift test` in)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
scheme="${1:-file}"
package="${2:-$(cd "$here/../../.." && pwd)}"
python="${PYTHON:-$(cd "$here/../../.." && pwd)/.venv/bin/python}"
fixture="$(mktemp -d)/floe-iceberg"
export FLOE_ICEBERG_FIXTURE_DIR="$fixture"
run_swift() { (cd "$package" && swift test --filter IcebergFixtureTests 2>&1 | grep -E "attempts|✘|error|Test run"); }

"$python" "$here/check_catalog.py" make-data "$fixture" --scheme "$scheme" --batch 1
"$python" "$here/check_catalog.py" make-data "$fixture" --batch 2
run_swift
"$python" "$here/check_catalog.py" pyiceberg-append "$fixture"
"$python" "$here/check_catalog.py" make-data "$fixture" --batch 3
run_swift
# Both writers at once: Floe's appends meet real conflicts from pyiceberg and rebase.
for batch in 4 5 6 7 8 9; do "$python" "$here/check_catalog.py" make-data "$fixture" --batch "$batch" >/dev/null; done
"$python" "$here/check_catalog.py" pyiceberg-append "$fixture" --repeat 40 &
pyiceberg_pid=$!
run_swift
wait "$pyiceberg_pid"
# One more Floe append on top of pyiceberg's manifests: past the merge threshold, so it merges them.
"$python" "$here/check_catalog.py" make-data "$fixture" --batch 10
run_swift
"$python" "$here/check_catalog.py" check "$fixture"
echo "fixture: $fixture"
