#!/usr/bin/env bash
# Run the CI command on a fresh clone of the committed HEAD, as CI does: uncommitted files and
# anything installed by hand in this checkout cannot make it pass.
set -euo pipefail
src="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
dest="${1:-$(mktemp -d)/clean}"
git clone -q "$src" "$dest"
cd "$dest"
echo "clean clone of $(git rev-parse --short HEAD) in $dest"
make setup >/dev/null
make test
