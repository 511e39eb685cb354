/**
 * The interpreter benches' shared workload: an FNV-style hash over a 256-byte buffer (loads, 64-bit mul,
 * shifts, xor, conditional and unconditional jumps), run through the raw entry (r1 = buffer, r2 = length).
 */
import { assemble } from '../src/ebpf/asm.js';

export const HASH_LEN = 256;
export const HASH_LOOP = assemble(`
  lddw %r0, 0xcbf29ce484222325
  mov %r3, 0
  mov %r7, 0
loop:
  jge %r3, %r2, done
  mov %r4, %r1
  add %r4, %r3
  ldxb %r5, [%r4+0]
  xor %r0, %r5
  mul %r0, 0x01000193
  mov %r6, %r0
  rsh %r6, 7
  xor %r0, %r6
  and %r5, 1
  jeq %r5, 0, skip
  add %r7, 1
skip:
  add %r3, 1
  ja loop
done:
  add %r0, %r7
  exit`);

/** The buffer the hash runs over, at `base` in `bytes` (the same contents in every bench). */
export function fillHashBuffer(bytes: Uint8Array, base: number): void {
  for (let k = 0; k < HASH_LEN; k++) bytes[base + k] = (k * 131 + 7) & 0xff;
}
