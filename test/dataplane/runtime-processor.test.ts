/**
 * runtime-processor.ts: the processor a data-plane worker builds from the daemon loader's recipe. For the JIT
 * the recipe carries the modules the main thread compiled, so a worker neither loads Binaryen nor compiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Arena } from '../../src/vm/arena.js';
import { Desc, DESC_SIZE } from '../../src/vm/arena-layout.js';
import { RuntimeObjectLoader } from '../../src/daemon/runtime-object-loader.js';
import type { RuntimeProcessorSpec } from '../../src/dataplane/runtime-processor.js';
import type { ProcessorRecipe } from '../../src/dataplane/frame-processor.js';
import { readCapture } from '../../src/dataplane/capture/index.js';
import { placeFrames, type FrameSet } from '../../src/bench/frame-set.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs `recipe` in a fresh worker over the frames at `set` on CPU 0; resolves, once the batch has run, with
 * every module URL the worker resolved (a module.register resolve hook records them).
 */
function runInWorker(arena: Arena, recipe: ProcessorRecipe, set: FrameSet): Promise<string[]> {
  const hook = `data:text/javascript,${encodeURIComponent(
    'let port; export function initialize(d) { port = d.port; } ' +
    'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }')}`;
  const code = `
    const { parentPort, workerData: w, MessageChannel } = require('node:worker_threads');
    const { register } = require('node:module');
    const ch = new MessageChannel();
    const resolved = [];
    ch.port1.on('message', (url) => resolved.push(url));
    ch.port1.unref();
    register(w.hook, { data: { port: ch.port2 }, transferList: [ch.port2] });
    import(w.module).then(async (m) => {
      const proc = await m.createProcessor(w.memory, w.spec, 0);
      proc.runBatch(0, w.desc, w.count, null);
      // The hook thread's last messages arrive after the import settled.
      setTimeout(() => parentPort.postMessage({ resolved }), 100);
    }).catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));`;
  const worker = new Worker(code, {
    eval: true, workerData: { hook, module: recipe.module, spec: recipe.spec, memory: arena.memory, desc: set.desc, count: set.count },
  });
  return new Promise((res, rej) => {
    worker.once('message', (msg: { resolved?: string[]; error?: string }) => {
      void worker.terminate();
      if (msg.resolved) res(msg.resolved); else rej(new Error(msg.error));
    });
    worker.once('error', rej);
  });
}

const actions = (arena: Arena, set: FrameSet): number[] =>
  Array.from({ length: set.count }, (_, i) => arena.u32[(set.desc + i * DESC_SIZE + Desc.ACTION) >>> 2]!);

test('a JIT recipe carries the entry and its tail-call targets compiled; a worker runs them without Binaryen, as the interpreter does', async () => {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: 1 });
  const loader = new RuntimeObjectLoader(arena);
  const obj = await loader.load(readFileSync(`${REPO}/programs/tail_dispatch.o`), { pinnedMaps: new Map(), strict: false });
  const jit = await obj.prepare('tail_dispatch', { engine: 'jit', harden: false });
  const interp = await obj.prepare('tail_dispatch', { engine: 'interp', harden: false });
  assert.equal(jit.engine, 'jit');
  const spec = jit.recipe.spec as RuntimeProcessorSpec;
  assert.deepEqual([...spec.modules!.keys()].sort(), ['handle_icmp', 'handle_tcp', 'handle_udp', 'tail_dispatch']);
  assert.equal((interp.recipe.spec as RuntimeProcessorSpec).modules, null);

  const frames = readCapture(readFileSync(`${REPO}/pcaps/mixed.pcap`)).frames.map((f) => f.data);
  const viaJit = placeFrames(arena, frames);
  const viaInterp = placeFrames(arena, frames);
  const resolved = await runInWorker(arena, jit.recipe, viaJit);
  await runInWorker(arena, interp.recipe, viaInterp);
  assert.ok(resolved.some((u) => u.endsWith('/runtime-processor.js')), 'the hook saw the worker\'s imports');
  assert.deepEqual(resolved.filter((u) => u.includes('binaryen') || u.endsWith('/module-cache.js')), [], 'the worker loaded the compiler');
  const got = actions(arena, viaJit);
  assert.deepEqual(got, actions(arena, viaInterp));
  // TCP → PASS (2), UDP → DROP (1) or PASS, ICMP → TX (3): the dispatcher's tail calls were taken.
  assert.ok(got.includes(3) && got.includes(1), `actions ${[...new Set(got)].join(',')}`);
});
