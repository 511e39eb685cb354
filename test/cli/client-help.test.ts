/**
 * Every client verb answers `--help` / `-h` (anywhere among its arguments) with its usage on stdout and exit
 * 0, without a daemon; a real usage error still exits 2 with the usage on stderr (design.md §5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/xdpjit.js', import.meta.url));

function xdpjit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No daemon listens on port 1: a verb that tried to reach one would fail with exit 1.
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, XDPJIT_SERVER: 'http://127.0.0.1:1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const VERBS = ['prog', 'iface', 'attach', 'detach', 'map', 'replay', 'stats'] as const;

for (const verb of VERBS) {
  test(`xdpjit ${verb} --help prints its usage and exits 0`, async () => {
    for (const args of [[verb, '--help'], [verb, '-h']]) {
      const r = await xdpjit(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^usage: xdpjit ${verb}\\b`));
      assert.match(r.stdout, /--server URL/);
      assert.match(r.stdout, /-h, --help/);
    }
  });
}

test('--help after a subcommand or among other options is still help', async () => {
  for (const args of [['prog', 'load', '--help'], ['map', 'update', '1', '--flags', 'any', '--help'], ['attach', 'p0', '-h', '--engine', 'jit']]) {
    const r = await xdpjit(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: xdpjit ${args[0]}\\b`));
  }
});

test('a usage error still exits 2 with the usage on stderr', async () => {
  const r = await xdpjit(['prog', '--name']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--name needs a value/);
  assert.match(r.stderr, /usage: xdpjit prog/);
  assert.equal(r.stdout, '');
});
