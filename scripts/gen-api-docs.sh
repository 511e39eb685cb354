#!/usr/bin/env bash
# Regenerates docs/api.md from the daemon's own OpenAPI document: builds, starts `xdpjit serve` on a free
# loopback port, renders GET /openapi.json (test/deploy/openapi-markdown.ts) and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
node dist/test/deploy/gen-api-docs.js
