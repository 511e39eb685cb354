/** The JS side of compiled programs: helper trampoline, callbacks, tail calls, batches and fault recovery. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { DESC_SIZE, Desc, RedirectState, REDIRECT_STATE, cpuRegion, stackTop } from '../../src/vm/arena-layout.js';
import { AluOp, Class, JmpOp, Mode, PseudoSrc, Size, Source, XdpAction } from '../../src/ebpf/opcodes.js';
import { RuntimeFault, type ExecProgram, type HelperImpl } from '../../src/vm/exec-types.js';
import { compileProgram } from '../../jit/compile.js';
import { JitInstance } from '../../jit/instance.js';
import { callHelper, exit, insn, ldImm64 } from './insn-builders.js';

const mov = (dst: number, imm: number) => insn(Class.ALU64 | AluOp.MOV | Source.K, dst, 0, 0, imm);
const movX = (dst: number, src: number) => insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src);
const prog = (name: string, insns: ReturnType<typeof insn>[]): ExecProgram => ({ name, insns, funcs: [], lines: [] });

test('helpers see r1..r5, the CPU, ctx and the call slot; their r0 comes back; r6..r9 survive', () => {
  const arena = Arena.create({ maxBytes: 4 << 20, cpus: 2 });
  const seen: unknown[] = [];
  const add: HelperImpl = (c) => {
    seen.push({ args: Array.from(c.regs.subarray(2, 12)), cpu: c.cpu, ctx: c.ctx, insn: c.insn });
    c.regs[0] = c.regs[2]! + c.regs[4]!;
    c.regs[1] = 7;
  };
  const p = prog('h', [mov(6, 66), mov(2, 5), mov(3, -1), mov(4, 4), mov(5, 5), callHelper(100), insn(Class.ALU64 | AluOp.ADD | Source.X, 0, 6), exit()]);
  const jit = new JitInstance(compileProgram(p), { memory: arena.memory, cpu: 1, helpers: (id) => (id === 100 ? add : undefined) });
  assert.equal(jit.run(10n, 0n, 0x1234), (7n << 32n) + 10n + 5n + 66n);
  assert.deepEqual(seen, [{ args: [10, 0, 5, 0, 0xffffffff, 0xffffffff, 4, 0, 5, 0], cpu: 1, ctx: 0x1234, insn: 5 }]);
  assert.throws(() => new JitInstance(compileProgram(prog('u', [callHelper(99), exit()])), { memory: arena.memory, cpu: 0, helpers: () => undefined }).run(0n, 0n), RuntimeFault);
});

test('a helper\'s callback runs the sub-program on the next stack frame (bpf_loop)', () => {
  const arena = Arena.create({ maxBytes: 4 << 20 });
  // main: r2 = &cb; call 200 (calls cb(3), cb(4) and returns their sum); exit.  cb: *(u64 *)(r10-8) = r1; r0 = r1 * 10 + r10 - stackTop + 512.
  const main = [...ldImm64(2, 3n, PseudoSrc.FUNC), callHelper(200), exit()]; // imm: cb is 3 slots after the next
  const cb = [
    insn(Class.STX | Mode.MEM | Size.DW, 10, 1, -8), insn(Class.LDX | Mode.MEM | Size.DW, 0, 10, -8),
    insn(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 10), insn(Class.ALU64 | AluOp.ADD | Source.X, 0, 10), exit(),
  ];
  const loop: HelperImpl = (c) => {
    const fn = c.regs[4]!;
    const sum = c.callback(fn, [3n]) + c.callback(fn, [4n]);
    c.regs[0] = Number(sum & 0xffffffffn);
    c.regs[1] = Number(sum >> 32n);
  };
  const p = prog('cb', [...main, ...cb]);
  const jit = new JitInstance(compileProgram(p), { memory: arena.memory, cpu: 0, helpers: (id) => (id === 200 ? loop : undefined) });
  const frame1 = BigInt(stackTop(0) - 512);
  assert.equal(jit.run(0n, 0n), 70n + 2n * frame1);
});

test('bpf_tail_call runs the target on the same ctx and frame and counts the calls', () => {
  const arena = Arena.create({ maxBytes: 4 << 20 });
  const target = prog('target', [insn(Class.LDX | Mode.MEM | Size.W, 0, 1, 0), insn(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, 1000), exit()]);
  const counts: number[] = [];
  const tail: HelperImpl = (c) => {
    counts.push(c.tailCallCount);
    if (c.regs[4] === 1) c.tailCall(target);
    c.regs[0] = 0;
    c.regs[1] = 0;
  };
  // r6 = r1; r3 = r2 (1 = take the tail call); call 12; r0 = 5 (reached only when no tail call happened); exit
  const caller = prog('caller', [movX(6, 1), movX(3, 2), callHelper(12), mov(0, 5), exit()]);
  const instances = new Map<string, JitInstance>();
  const instanceOf = (p: ExecProgram): JitInstance => {
    let i = instances.get(p.name);
    if (!i) instances.set(p.name, (i = new JitInstance(compileProgram(p), { memory: arena.memory, cpu: 0, helpers: (id) => (id === 12 ? tail : undefined), tailCallTarget: instanceOf })));
    return i;
  };
  const ctx = arena.alloc(64, 'ctx');
  arena.u32[ctx >>> 2] = 42;
  const jit = instanceOf(caller);
  assert.equal(jit.run(BigInt(ctx), 1n, ctx), 1042n);
  assert.equal(jit.run(BigInt(ctx), 0n, ctx), 5n);
  assert.equal(jit.run(BigInt(ctx), 1n, ctx), 1042n);
  assert.deepEqual(counts, [0, 0, 0], 'every run starts with no tail calls taken');
  assert.equal(jit.tailCallCount, 1);
});

test('run_batch writes each action, copies the redirect target, and a faulting frame is identified', () => {
  const arena = Arena.create({ maxBytes: 4 << 20 });
  const n = 5;
  const desc = arena.alloc(n * DESC_SIZE, 'descs');
  // Value 3 redirects to 9 (helper 23 records it in the redirect state as bpf_redirect does), 4 faults
  // (helper 66 throws), anything else is returned as the action.
  const redirect: HelperImpl = (c) => {
    const rs = (cpuRegion(c.cpu) + REDIRECT_STATE) >>> 2;
    arena.u32[rs + (RedirectState.KIND >> 2)] = 1;
    arena.u32[rs + (RedirectState.TARGET >> 2)] = c.regs[2]!;
    c.regs[0] = XdpAction.REDIRECT;
    c.regs[1] = 0;
  };
  const fault: HelperImpl = (c) => { throw new RuntimeFault('boom', c.insn, 'p'); };
  const p = prog('batch', [
    insn(Class.LDX | Mode.MEM | Size.W, 0, 1, Desc.DATA), // 0: r0 = ctx->data (a test value here)
    insn(Class.JMP | JmpOp.JEQ | Source.K, 0, 0, 2, 3),   // 1: if r0 == 3 goto 4
    insn(Class.JMP | JmpOp.JEQ | Source.K, 0, 0, 4, 4),   // 2: if r0 == 4 goto 7
    exit(),                                               // 3: return the value
    mov(1, 9), callHelper(23), exit(),                    // 4..6: redirect to 9
    callHelper(66), exit(),                               // 7, 8: fault
  ]);
  const jit = new JitInstance(compileProgram(p), { memory: arena.memory, cpu: 0, helpers: (id) => (id === 23 ? redirect : id === 66 ? fault : undefined) });
  const u32 = arena.u32;
  const datas = [1, 3, 2, 4, 0];
  datas.forEach((v, i) => { u32[(desc + i * DESC_SIZE + Desc.DATA) >>> 2] = v; });
  assert.throws(() => jit.runBatch(desc, n), RuntimeFault);
  assert.equal(jit.currentDesc, desc + 3 * DESC_SIZE, 'ctx names the faulting frame');
  const action = (i: number) => u32[(desc + i * DESC_SIZE + Desc.ACTION) >>> 2];
  assert.deepEqual([0, 1, 2].map(action), [1, XdpAction.REDIRECT, 2]);
  assert.equal(u32[(desc + DESC_SIZE + Desc.REDIRECT_KIND) >>> 2], 1);
  assert.equal(u32[(desc + DESC_SIZE + Desc.REDIRECT_TARGET) >>> 2], 9);
  assert.equal(u32[(desc + 2 * DESC_SIZE + Desc.REDIRECT_KIND) >>> 2], 0, 'only XDP_REDIRECT frames get a target');
  jit.runBatch(desc + 4 * DESC_SIZE, 1);
  assert.equal(action(4), 0);
});
