import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('a reader that closes stdout early (| head -1) ends the run quietly with exit 0', async () => {
  const child = spawn(process.execPath, [
    path.join(root, 'bin/xdpjit.js'), 'run', path.join(root, 'programs/port_firewall.o'),
    '--pcap', path.join(root, 'pcaps/mixed.pcap'), '--engine', 'interp', '--jsonl',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const firstLine = await new Promise<string>((resolve) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) { resolve(buf.slice(0, nl)); child.stdout.destroy(); }
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.match(firstLine, /^\{"i":0,"action":"XDP_/);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});

test('an unknown verb is bad usage: exit 2 with the verb list', async () => {
  const child = spawn(process.execPath, [path.join(root, 'bin/xdpjit.js'), 'frobnicate'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /unknown verb 'frobnicate'/);
  assert.match(stderr, /verify/);
});
