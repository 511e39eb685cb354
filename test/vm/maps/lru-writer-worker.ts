/**
 * Worker side of the concurrent-dump test: the data path of one CPU hammering an LRU_HASH (inserts that evict,
 * overwrites, deletes) until told to stop. Each value is 64 copies of one byte derived from the key and a
 * generation, so a reader can tell a whole value from a torn one. Does nothing on the main thread.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Arena, type ArenaMemory } from '../../../src/vm/arena.js';
import { openMap } from '../../../src/vm/maps/registry.js';

export interface LruWriterData {
  readonly memory: ArenaMemory;
  readonly addr: number;
  readonly cpu: number;
  /** [0]: workers started; [1]: 1 = stop. */
  readonly control: Int32Array;
}

/** The byte a whole value of `key` written at generation `gen` is filled with (never 0: 0 is "torn"). */
export const valueByte = (key: number, gen: number): number => ((key * 7 + gen) % 255) + 1;

if (!isMainThread && parentPort) {
  const d = workerData as LruWriterData;
  const map = openMap(Arena.attach(d.memory), 'lru', d.addr);
  Atomics.add(d.control, 0, 1);
  const key = new Uint8Array(4);
  const value = new Uint8Array(64);
  let s = d.cpu * 7919 + 1;
  let ops = 0;
  while (Atomics.load(d.control, 1) === 0) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const k = (s >>> 8) % 200;
    new DataView(key.buffer).setUint32(0, k, true);
    if (((s >>> 4) & 7) === 0) map.delete(key);
    else map.update(key, value.fill(valueByte(k, ops & 0xffff)), 0, d.cpu);
    ops++;
  }
  parentPort.postMessage({ ops });
}
