/**
 * The wasm QUEUE / STACK helpers of jit/lower-helper-queue.ts against the runtime's TS helpers
 * (src/vm/helpers/map-helpers.ts over src/vm/maps/queue-stack.ts): a pseudo-random sequence of push (every
 * flag case), pop and peek, each op run through the TS helper and then lowered from the same arena bytes;
 * r0, the whole map (header words, ring) and the value buffer must match, and the lowered run must not reach
 * the trampoline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { PseudoSrc } from '../../src/ebpf/opcodes.js';
import { buildHelpers } from '../../src/vm/helpers/helper-table.js';
import type { HelperEnv } from '../../src/vm/helpers/helper-env.js';
import { CaptureClock } from '../../src/vm/clock.js';
import { QueueStackMap } from '../../src/vm/maps/queue-stack.js';
import type { BpfMap } from '../../src/vm/maps/bpf-map.js';
import { compileProgram } from '../../jit/compile.js';
import { createInlineHelpers } from '../../jit/inline-helpers.js';
import { JitInstance } from '../../jit/instance.js';
import { QueueHelperId } from '../../jit/lower-helper-queue.js';
import { callHelper, exit, ldImm64 } from './insn-builders.js';

const CPU = 0;

test('QUEUE and STACK push / pop / peek lowered give the TS helpers\' results and bytes', () => {
  const arena = Arena.create({ maxBytes: 16 << 20, cpus: 1 });
  const maps = new Map<number, BpfMap>();
  const env: HelperEnv = {
    arena, clock: new CaptureClock(), mapAt: (a) => maps.get(a), checkMem: () => undefined, programById: () => undefined,
    fault: (c, message) => new Error(`insn ${c.insn}: ${message}`), deviceMtu: () => undefined, allMaps: () => [...maps.values()],
    emit: () => undefined,
  };
  const helpers = buildHelpers(env);
  const buf = arena.alloc(64, 'value buffer');
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  for (const type of [MapType.QUEUE, MapType.STACK]) {
    for (const valueSize of [4, 7, 16, 23]) {
      const map = QueueStackMap.create(arena, { name: `q${type}_${valueSize}`, type, keySize: 0, valueSize, maxEntries: 3, flags: 0 });
      maps.set(map.addr, map);
      const region = (): Uint8Array => arena.u8.slice(map.addr, map.addr + map.footprint);
      const instances = new Map<string, [JitInstance, JitInstance, () => number]>();
      const pair = (id: number, flags: bigint): [JitInstance, JitInstance, () => number] => {
        const key = `${id}/${flags}`;
        const have = instances.get(key);
        if (have) return have;
        const program = { name: key, insns: [...ldImm64(1, BigInt(map.addr), PseudoSrc.MAP_FD), ...ldImm64(2, BigInt(buf)), ...ldImm64(3, flags), callHelper(id), exit()], funcs: [] };
        let calls = 0;
        const made: [JitInstance, JitInstance, () => number] = [
          new JitInstance(compileProgram(program), { memory: arena.memory, cpu: CPU, helpers }),
          new JitInstance(compileProgram(program, { inlineHelper: createInlineHelpers(arena.u32) }), { memory: arena.memory, cpu: CPU, helpers: (h) => { calls++; return helpers(h); } }),
          () => calls,
        ];
        instances.set(key, made);
        return made;
      };
      for (let step = 0; step < 120; step++) {
        const op = [QueueHelperId.MAP_PUSH_ELEM, QueueHelperId.MAP_PUSH_ELEM, QueueHelperId.MAP_POP_ELEM, QueueHelperId.MAP_PEEK_ELEM][rand(4)]!;
        const flags = op === QueueHelperId.MAP_PUSH_ELEM ? [0n, 2n, 2n, 1n, 3n, 1n << 32n][rand(6)]! : 0n;
        for (let i = 0; i < 64; i++) arena.u8[buf + i] = rand(256);
        const before = [region(), arena.u8.slice(buf, buf + 64)];
        const [viaTs, lowered, calls] = pair(op, flags);
        const tsR0 = viaTs.run(0n, 0n);
        const tsAfter = [region(), arena.u8.slice(buf, buf + 64)];
        arena.u8.set(before[0]!, map.addr);
        arena.u8.set(before[1]!, buf);
        const r0 = lowered.run(0n, 0n);
        const what = `${map.name} step ${step} helper ${op} flags ${flags}`;
        assert.equal(r0, tsR0, `${what}: r0`);
        assert.deepEqual(region(), tsAfter[0], `${what}: map bytes`);
        assert.deepEqual(arena.u8.slice(buf, buf + 64), tsAfter[1], `${what}: buffer`);
        assert.equal(calls(), 0, `${what}: reached the trampoline`);
      }
    }
  }
});
