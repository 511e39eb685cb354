#!/usr/bin/env node
// The package's bin: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`xdpjit: internal error: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
