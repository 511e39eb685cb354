/**
 * Checked mode (design.md §3a): before a program's load or store happens, find the object it falls in —
 * the CPU's stack, the packet [data_meta, data_end), the 24-byte ctx (read-only), a map value (read-only
 * for .rodata) — and fault the frame when there is none. Pointer arithmetic stays plain u32, so an access
 * is judged only by the address it finally uses.
 */
import { Desc, HELPER_SCRATCH, HELPER_SCRATCH_SIZE, XDP_MD_SIZE, cpuRegion, STACK_TOP } from '../arena-layout.js';
import { RuntimeFault, type AccessChecker } from '../exec-types.js';
import type { BpfMap } from '../maps/bpf-map.js';

export interface CheckedMap {
  readonly map: BpfMap;
  /** Programs may not write it (.rodata, BPF_F_RDONLY_PROG). */
  readonly readOnly: boolean;
}

export class CheckedAccess implements AccessChecker {
  /** The descriptor of the frame being run (0: no ctx, raw entry). */
  desc = 0;
  program = '';
  private readonly stackLo: number;
  private readonly stackHi: number;
  /** Helper scratch: callbacks read keys handed over there (bpf_for_each_map_elem). */
  private readonly scratchLo: number;
  private readonly scratchHi: number;
  private readonly maps: readonly CheckedMap[];

  constructor(private readonly u32: () => Uint32Array, cpu: number, maps: readonly CheckedMap[]) {
    this.stackLo = cpuRegion(cpu);
    this.stackHi = this.stackLo + STACK_TOP;
    this.scratchLo = this.stackLo + HELPER_SCRATCH;
    this.scratchHi = this.scratchLo + HELPER_SCRATCH_SIZE;
    this.maps = [...maps].sort((a, b) => a.map.valueStart - b.map.valueStart);
  }

  check(addr: number, size: number, write: boolean, insn: number): void {
    const end = addr + size;
    if (addr >= this.stackLo && end <= this.stackHi) return;
    if (addr >= this.scratchLo && end <= this.scratchHi) {
      if (write) this.fault(`write of ${size} bytes to a helper-provided key (read-only)`, insn);
      return;
    }
    if (this.desc !== 0) {
      const u32 = this.u32();
      const d = this.desc >>> 2;
      const meta = u32[d + Desc.DATA_META / 4]!;
      const dataEnd = u32[d + Desc.DATA_END / 4]!;
      if (addr >= meta && end <= dataEnd) return;
      if (addr >= this.desc && end <= this.desc + XDP_MD_SIZE) {
        if (write) this.fault(`write of ${size} bytes to the read-only ctx at +${addr - this.desc}`, insn);
        return;
      }
    }
    const m = this.mapAt(addr);
    if (m && m.map.containsValue(addr, size)) {
      if (write && m.readOnly) this.fault(`write of ${size} bytes to read-only map '${m.map.name}'`, insn);
      return;
    }
    this.fault(`${write ? 'write' : 'read'} of ${size} bytes at 0x${addr.toString(16)} outside ${this.describeNear(m)}`, insn);
  }

  private mapAt(addr: number): CheckedMap | undefined {
    let lo = 0;
    let hi = this.maps.length - 1;
    let found: CheckedMap | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.maps[mid]!;
      if (m.map.valueStart <= addr) { found = m; lo = mid + 1; } else hi = mid - 1;
    }
    return found && addr < found.map.valueEnd ? found : undefined;
  }

  private describeNear(m: CheckedMap | undefined): string {
    if (m) return `any value of map '${m.map.name}' (value_size ${m.map.params.valueSize})`;
    const parts = [`the stack [0x${this.stackLo.toString(16)}, 0x${this.stackHi.toString(16)})`];
    if (this.desc !== 0) {
      const u32 = this.u32();
      const d = this.desc >>> 2;
      parts.push(`the packet [0x${u32[d + Desc.DATA_META / 4]!.toString(16)}, 0x${u32[d + Desc.DATA_END / 4]!.toString(16)})`);
      parts.push(`the ctx [0x${this.desc.toString(16)}, +${XDP_MD_SIZE})`);
    }
    return `every object: ${parts.join(', ')} and the map values`;
  }

  private fault(message: string, insn: number): never {
    throw new RuntimeFault(message, insn, this.program);
  }
}
