#!/usr/bin/env bash
# Runs the test suite on the Node version the container image runs (the Dockerfile's ARG NODE_IMAGE), so
# CI covers both Node 20 (this machine's) and the image's Node LTS. The `node` package on npm ships the
# Node binaries, so this needs only the npm registry; tests that spawn `node` or process.execPath get the
# same version (npx puts that binary first on PATH).
#   scripts/test-on-image-node.sh                 # the whole suite: dist/test/
#   scripts/test-on-image-node.sh dist/test/deploy/   # a part of it
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9.]*\).*/\1/p' Dockerfile)
if [ -z "$version" ]; then
  echo "test-on-image-node: cannot read the Node version from the Dockerfile's 'ARG NODE_IMAGE=node:X.Y.Z...'" >&2
  exit 2
fi
# XDPJIT_ALLOW_TSC_ERRORS=1 runs on what tsc emitted despite type errors (a tree with work in progress).
npm run --silent build || [ "${XDPJIT_ALLOW_TSC_ERRORS:-}" = 1 ]
echo "test-on-image-node: running the tests on Node $version (the image's base)"
if [ "$#" -eq 0 ]; then set -- dist/test/; fi
# Node 22+ reads --test arguments as glob patterns, not directories (Node 20 takes a directory): a directory
# becomes the pattern of the test files under it.
patterns=()
for a in "$@"; do
  if [ -d "$a" ]; then patterns+=("${a%/}/**/*.test.js"); else patterns+=("$a"); fi
done
exec npx --yes "node@$version" --test --test-concurrency=2 --test-timeout=1200000 "${patterns[@]}"
