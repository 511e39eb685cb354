/**
 * The JIT engine against the checked interpreter on every sample program (programs/*.o with its map fill)
 * over the sample captures: the same frame records (action, length, sha1, redirect, error), events and map
 * dump, frame by frame.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../../src/ebpf/loader.js';
import { readCapture } from '../../src/dataplane/capture/read-capture.js';
import { parseMapsText } from '../../src/vm/maps-file.js';
import { runCapture, type RunFrame } from '../../src/vm/runtime/run-capture.js';
import { UnsupportedFeatureError } from '../../src/ebpf/loader-errors.js';
import { createJitEngine, JitEngine } from '../../jit/xdp-engine.js';
import { Arena } from '../../src/vm/arena.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { EngineUnavailableError } from '../../src/vm/runtime/engine.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const programsDir = join(root, 'programs');
const XDP_KINDS = new Set(['xdp', 'xdp.frags']);

function frames(file: string): RunFrame[] {
  return readCapture(readFileSync(join(root, 'pcaps', file))).frames.map((f) => ({ data: f.data, tsNs: f.tsNs }));
}

test('every sample program gives the interpreter\'s frame records, events and maps under the JIT', async (t) => {
  if (!existsSync(programsDir)) {
    t.skip(`no sample programs at ${programsDir}`);
    return;
  }
  const captured = [...frames('mixed.pcap'), ...frames('malformed.pcap')];
  const objects = readdirSync(programsDir).filter((f) => f.endsWith('.o')).sort();
  let compared = 0;
  const refused: string[] = [];
  for (const obj of objects) {
    const spec = parseObject(readFileSync(join(programsDir, obj)));
    const mapsFile = join(programsDir, obj.replace(/\.o$/, '.maps'));
    const mapLines = existsSync(mapsFile) ? parseMapsText(readFileSync(mapsFile, 'utf8'), mapsFile) : [];
    for (const prog of spec.programs.filter((p) => XDP_KINDS.has(p.kind))) {
      const opts = { program: prog.name, mapLines, cpus: 2, seed: 7 } as const;
      let want;
      try {
        want = await runCapture(spec, captured, { ...opts, engine: 'interp' });
      } catch (e) {
        if (!(e instanceof UnsupportedFeatureError)) throw e;
        refused.push(`${obj}:${prog.name} (${e.message})`); // the runtime refuses it for both engines
        continue;
      }
      const got = await runCapture(spec, captured, { ...opts, engine: createJitEngine });
      const label = `${obj}:${prog.name}`;
      for (let i = 0; i < want.frames.length; i++) assert.deepEqual(got.frames[i], want.frames[i], `${label} frame ${i}`);
      assert.deepEqual(got.events, want.events, `${label} events`);
      assert.deepEqual(got.maps, want.maps, `${label} maps`);
      compared++;
    }
  }
  t.diagnostic(`${compared} programs compared; refused by the runtime: ${refused.join('; ') || 'none'}`);
  assert.ok(compared >= 20, `only ${compared} sample programs compared`);
});

test('the JIT refuses --harden rather than run unhardened', () => {
  const arena = Arena.create({ maxBytes: 4 << 20 });
  const runtime = Runtime.load(arena, { license: 'GPL', programs: [], maps: [], runConfigs: new Map() });
  assert.throws(() => new JitEngine(runtime, { harden: true }), EngineUnavailableError);
});
