/** Kernel-style state printing for error reports and the `-v` log (`R1=ctx() R10=fp0 fp-8=mmmmmmmm`). */
import { regString } from './domain/reg.js';
import { type State, STACK_SIZE, Slot } from './domain/state.js';

const SLOT_CHAR = ['?', 'm', '0', 'r'];

export function stateString(st: State): string {
  const parts: string[] = [];
  st.frames.forEach((f, fi) => {
    const prefix = st.frames.length > 1 ? `frame${fi}: ` : '';
    const regs: string[] = [];
    f.regs.forEach((r, i) => { if (r.t !== 'not_init') regs.push(`R${i}=${regString(r)}`); });
    for (let s = 0; s < STACK_SIZE / 8; s++) {
      const off = -(STACK_SIZE - s * 8);
      const sp = f.spills[s];
      if (sp && f.slots[s * 8] === Slot.SPILL) { regs.push(`fp${off}=${regString(sp)}`); continue; }
      let txt = '';
      let any = false;
      for (let b = 7; b >= 0; b--) {
        const k = f.slots[s * 8 + b]!;
        if (k !== Slot.INVALID) any = true;
        txt += SLOT_CHAR[k];
      }
      if (any) regs.push(`fp${off}=${txt}`);
    }
    parts.push(prefix + regs.join(' '));
  });
  return parts.join(' | ');
}
