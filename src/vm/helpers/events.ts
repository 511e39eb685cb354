/**
 * Ring buffer and perf event output (kernel/bpf/ringbuf.c, net/core/filter.c bpf_xdp_event_output):
 * bpf_ringbuf_output (130), reserve (131), submit (132), discard (133), query (134), bpf_perf_event_output (25).
 * Submitted records and perf samples become runtime events.
 */
import type { HelperCall, HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { MapType } from '../../ebpf/object-spec.js';
import { type HelperEnv, argHighSet, argU32, retS32, retU32 } from './helper-env.js';
import { mapArg } from './map-helpers.js';
import { XdpBuff } from './xdp-buff.js';

const BPF_RB_NO_WAKEUP = 1;
const BPF_RB_FORCE_WAKEUP = 2;
const EAGAIN = 11;
const BPF_F_CURRENT_CPU = 0xffffffff;
/** BPF_F_CTXLEN_MASK (bits 32..51 of the flags) as it sits in their upper half; BPF_F_INDEX_MASK is the lower half. */
const CTXLEN_MASK_HIGH = 0xfffff;

// Flags are read as register halves and keys built in one reused buffer: these helpers run per packet, and
// BigInt flag arithmetic and a key array per call were most of their cost.
export function eventHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const key = new Uint8Array(4);
  const keyOf = (index: number): Uint8Array => {
    key[0] = index & 0xff; key[1] = (index >>> 8) & 0xff; key[2] = (index >>> 16) & 0xff; key[3] = index >>> 24;
    return key;
  };
  /** The runtime's ring buffers, listed when first needed (and again when a record is in none of them). */
  let rings: readonly RingbufMap[] | undefined;
  const ring = (c: HelperCall, helper: string): RingbufMap => {
    const m = mapArg(env, c, 1, helper);
    if (!(m instanceof RingbufMap)) throw env.fault(c, `${helper}: map '${m.name}' is not a RINGBUF`);
    return m;
  };
  const commit = (c: HelperCall, discard: boolean): void => {
    const sample = argU32(c, 1);
    const ringMaps = (): readonly RingbufMap[] => env.allMaps().filter((x): x is RingbufMap => x instanceof RingbufMap);
    rings ??= ringMaps();
    let m = rings.find((x) => x.isReserved(sample));
    if (!m) m = (rings = ringMaps()).find((x) => x.isReserved(sample));
    if (!m) throw env.fault(c, `bpf_ringbuf_${discard ? 'discard' : 'submit'}: 0x${sample.toString(16)} is not a reserved ring buffer record`);
    const data = m.commit(sample, discard);
    if (data) env.emit({ type: 'ringbuf', cpu: c.cpu, map: m.name, data });
    retS32(c, 0);
  };
  return new Map<number, HelperImpl>([
    [130, (c) => {
      const m = ring(c, 'bpf_ringbuf_output');
      const data = argU32(c, 2);
      const size = argU32(c, 3);
      if (argHighSet(c, 4) || (argU32(c, 4) & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0) return retS32(c, -Errno.EINVAL);
      env.checkMem(c, data, size, false);
      const rec = argHighSet(c, 3) ? 0 : m.reserve(size);
      if (rec === 0) return retS32(c, -EAGAIN);
      env.arena.u8.copyWithin(rec, data, data + size);
      env.emit({ type: 'ringbuf', cpu: c.cpu, map: m.name, data: m.commit(rec, false)! });
      retS32(c, 0);
    }],
    [131, (c) => {
      const m = ring(c, 'bpf_ringbuf_reserve');
      retU32(c, argU32(c, 3) !== 0 || argHighSet(c, 3) || argHighSet(c, 2) ? 0 : m.reserve(argU32(c, 2)));
    }],
    [132, (c) => commit(c, false)],
    [133, (c) => commit(c, true)],
    [134, (c) => retU32(c, ring(c, 'bpf_ringbuf_query').query(argHighSet(c, 2) ? -1 : argU32(c, 2)))],
    [25, (c) => {
      const m = mapArg(env, c, 2, 'bpf_perf_event_output');
      if (m.params.type !== MapType.PERF_EVENT_ARRAY) throw env.fault(c, `bpf_perf_event_output: map '${m.name}' is not a PERF_EVENT_ARRAY`);
      const flagsHigh = c.regs[7]!;
      const data = argU32(c, 4);
      const size = argU32(c, 5);
      env.checkMem(c, data, size, false);
      if ((flagsHigh & ~CTXLEN_MASK_HIGH) !== 0) return retS32(c, -Errno.EINVAL);
      const ctxLen = flagsHigh;
      const x = new XdpBuff(env.arena, c.ctx);
      if (ctxLen > x.buffLen) return retS32(c, -Errno.EFAULT);
      const rawIndex = argU32(c, 3);
      const index = rawIndex === BPF_F_CURRENT_CPU ? c.cpu : rawIndex;
      if (index >= m.params.maxEntries) return retS32(c, -Errno.E2BIG);
      if (m.lookup(keyOf(index), c.cpu) === 0) return retS32(c, -Errno.ENOENT);
      const sample = new Uint8Array(size + ctxLen);
      sample.set(env.arena.u8.subarray(data, data + size));
      sample.set(x.slice(0, ctxLen), size);
      env.emit({ type: 'perf', cpu: c.cpu, map: m.name, data: sample });
      retS32(c, 0);
    }],
  ]);
}
