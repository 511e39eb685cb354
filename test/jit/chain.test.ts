/**
 * Fused libxdp-style chains (jit/chain.ts): the fused module's verdicts, output frames and maps equal running
 * the programs one after another with libxdp's dispatcher rule (next program when the action's bit is in
 * chain_call_actions, else stop with that action), on the sample chain programs/xdp_chain.o.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseObject } from '../../src/ebpf/loader.js';
import type { ObjectSpec } from '../../src/ebpf/object-spec.js';
import { readCapture } from '../../src/dataplane/capture/read-capture.js';
import { Arena } from '../../src/vm/arena.js';
import { Runtime } from '../../src/vm/runtime/runtime.js';
import { FrameRunner, type FrameRecord } from '../../src/vm/runtime/frame-runner.js';
import { dumpMaps, type MapDumpLine } from '../../src/vm/runtime/map-dump.js';
import type { PreparedXdp } from '../../src/vm/runtime/engine.js';
import { JitEngine } from '../../jit/xdp-engine.js';
import { chainOrder, compileChain, type ChainConfig } from '../../jit/chain.js';
import { CompiledModuleCache } from '../../jit/module-cache.js';
import { JitCompileError } from '../../jit/errors.js';
import { OP_LD_IMM64 } from '../../src/ebpf/insn.js';
import { PseudoSrc } from '../../src/ebpf/opcodes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CHAIN = ['chain_filter', 'chain_count'];

function run(spec: ObjectSpec, frames: Uint8Array[], prepare: (rt: Runtime, engine: JitEngine) => PreparedXdp): { records: FrameRecord[]; maps: MapDumpLine[] } {
  const runtime = Runtime.load(Arena.create({ maxBytes: 16 << 20 }), spec);
  const runner = new FrameRunner(runtime, prepare(runtime, new JitEngine(runtime, { cache: new CompiledModuleCache() })));
  const records = frames.map((f, i) => runner.run(i, f).record);
  return { records, maps: dumpMaps(runtime) };
}

/** libxdp's dispatcher, one program at a time. */
function sequential(stages: readonly PreparedXdp[], configs: readonly ChainConfig[]): PreparedXdp {
  return {
    runFrame: (desc, cpu) => {
      let r0 = 0n;
      for (let k = 0; k < stages.length; k++) {
        r0 = stages[k]!.runFrame(desc, cpu);
        const action = BigInt.asUintN(32, r0);
        if (!(action < 32n && ((configs[k]!.chainCallActions >>> Number(action)) & 1) === 1)) break;
      }
      return r0;
    },
  };
}

test('a fused chain gives the verdicts, frames and maps of its programs run one after another', (t) => {
  const obj = join(root, 'programs', 'xdp_chain.o');
  if (!existsSync(obj)) {
    t.skip(`no ${obj}`);
    return;
  }
  const spec = parseObject(readFileSync(obj));
  const frames = readCapture(readFileSync(join(root, 'pcaps', 'mixed.pcap'))).frames.map((f) => f.data);
  const fromElf = CHAIN.map((n) => spec.runConfigs.get(n)!);
  // the object's .xdp_run_config, every action chained, and nothing chained (only the first program runs)
  for (const configs of [fromElf, CHAIN.map((_, k) => ({ priority: k, chainCallActions: 0xffffffff })), CHAIN.map((_, k) => ({ priority: k, chainCallActions: 0 }))]) {
    const order = chainOrder(CHAIN.map((name, k) => ({ name, config: configs[k]! })));
    const want = run(spec, frames, (rt, e) => sequential(order.map((s) => e.prepare(rt.programs.get(s.name)!)), order.map((s) => s.config)));
    const got = run(spec, frames, (rt, e) => e.prepareChain(CHAIN.map((n) => rt.programs.get(n)!), configs));
    assert.deepEqual(got.records, want.records, JSON.stringify(configs));
    assert.deepEqual(got.maps, want.maps, JSON.stringify(configs));
    const actions = new Set(got.records.map((r) => r.action));
    t.diagnostic(`${JSON.stringify(configs)}: actions ${[...actions].join(', ')}`);
  }
});

test('chainOrder sorts by priority, ties in the given order', () => {
  const s = [{ id: 'a', config: { priority: 20, chainCallActions: 0 } }, { id: 'b', config: { priority: 10, chainCallActions: 0 } }, { id: 'c', config: { priority: 20, chainCallActions: 0 } }];
  assert.deepEqual(chainOrder(s).map((x) => x.id), ['b', 'a', 'c']);
});

test('compileChain refuses callback sub-programs and mismatched configs', () => {
  const cb = { name: 'cb', funcs: [], insns: [{ code: OP_LD_IMM64, dst: 2, src: PseudoSrc.FUNC, off: 0, imm: 1 }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] };
  assert.throws(() => compileChain([cb], [{ priority: 0, chainCallActions: 0 }]), JitCompileError);
  assert.throws(() => compileChain([cb], []), JitCompileError);
});
