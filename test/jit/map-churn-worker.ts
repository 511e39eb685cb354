/**
 * Worker side of test/jit/lower-map-concurrent.test.ts: one CPU churning a hash map on the shared arena with
 * a fixed number of updates, deletes and lookups, through the JIT's wasm helpers (`engine: 'wasm'`) or the
 * TS map (`'ts'`). Does nothing on the main thread.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Arena, type ArenaMemory } from '../../src/vm/arena.js';
import { openMap } from '../../src/vm/maps/registry.js';
import { HelperId } from '../../jit/module-abi.js';
import { MapHelperId } from '../../jit/lower-map-helpers.js';
import { ARG_VALUE_OFF, helperRunner } from './map-harness.js';

export interface ChurnData {
  readonly memory: ArenaMemory;
  readonly addr: number;
  readonly cpu: number;
  readonly engine: 'wasm' | 'ts';
  readonly ops: number;
  readonly keySpace: number;
  /** [0]: workers ready; the churn starts when it reaches the worker count, so the CPUs overlap. */
  readonly control: Int32Array;
  readonly workers: number;
}

if (!isMainThread && parentPort) {
  const d = workerData as ChurnData;
  const arena = Arena.attach(d.memory);
  const map = openMap(arena, 'churn', d.addr);
  const keySize = map.params.keySize;
  const valueSize = map.params.valueSize;
  const arg = arena.alloc(2048, `churn args cpu ${d.cpu}`);
  const wasm = d.engine === 'wasm'
    ? [HelperId.MAP_LOOKUP_ELEM, MapHelperId.UPDATE, MapHelperId.DELETE].map((id) => helperRunner(arena, [d.addr], id, d.cpu))
    : undefined;
  Atomics.add(d.control, 0, 1);
  while (Atomics.load(d.control, 0) < d.workers) { /* wait for the other CPUs */ }
  let s = d.cpu * 7919 + 1;
  let ok = 0;
  for (let op = 0; op < d.ops; op++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const k = (s >>> 8) % d.keySpace;
    const key = arena.u8.subarray(arg, arg + keySize);
    key.fill(0);
    new DataView(key.buffer, key.byteOffset, 4).setUint32(0, k, true);
    arena.u8.fill(k & 0xff, arg + ARG_VALUE_OFF, arg + ARG_VALUE_OFF + valueSize);
    const kind = (s >>> 4) & 7; // 0: delete, 1-2: lookup, else update
    const helper = kind === 0 ? 2 : kind <= 2 ? 0 : 1;
    let r: bigint;
    if (wasm) r = wasm[helper]!.call(arg, 0n);
    else if (helper === 2) r = BigInt(map.delete(key));
    else if (helper === 0) r = BigInt(map.lookup(key, d.cpu));
    else r = BigInt(map.update(key, arena.u8.subarray(arg + ARG_VALUE_OFF, arg + ARG_VALUE_OFF + valueSize), 0, d.cpu));
    if (r === 0n) ok++;
  }
  parentPort.postMessage({ ok });
}
