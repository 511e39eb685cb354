/**
 * Ring buffer and perf event output (kernel/bpf/ringbuf.c, net/core/filter.c bpf_xdp_event_output):
 * bpf_ringbuf_output (130), reserve (131), submit (132), discard (133), query (134), bpf_perf_event_output (25).
 * Submitted records and perf samples become runtime events.
 */
import type { HelperCall, HelperImpl } from '../exec-types.js';
import { Errno } from '../maps/errno.js';
import { RingbufMap } from '../maps/ringbuf.js';
import { MapType } from '../../ebpf/object-spec.js';
import { type HelperEnv, argHighSet, argU32, argU64, retS32, retU32 } from './helper-env.js';
import { mapArg } from './map-helpers.js';
import { XdpBuff } from './xdp-buff.js';

const BPF_RB_NO_WAKEUP = 1n;
const BPF_RB_FORCE_WAKEUP = 2n;
const EAGAIN = 11;
const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CURRENT_CPU = 0xffffffff;
const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

export function eventHelpers(env: HelperEnv): ReadonlyMap<number, HelperImpl> {
  const ring = (c: HelperCall, helper: string): RingbufMap => {
    const m = mapArg(env, c, 1, helper);
    if (!(m instanceof RingbufMap)) throw env.fault(c, `${helper}: map '${m.name}' is not a RINGBUF`);
    return m;
  };
  const commit = (c: HelperCall, discard: boolean): void => {
    const sample = argU32(c, 1);
    const m = env.allMaps().find((x): x is RingbufMap => x instanceof RingbufMap && x.isReserved(sample));
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
      if ((argU64(c, 4) & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0n) return retS32(c, -Errno.EINVAL);
      env.checkMem(c, data, size, false);
      const rec = argHighSet(c, 3) ? 0 : m.reserve(size);
      if (rec === 0) return retS32(c, -EAGAIN);
      env.arena.u8.copyWithin(rec, data, data + size);
      env.emit({ type: 'ringbuf', cpu: c.cpu, map: m.name, data: m.commit(rec, false)! });
      retS32(c, 0);
    }],
    [131, (c) => {
      const m = ring(c, 'bpf_ringbuf_reserve');
      retU32(c, argU64(c, 3) !== 0n || argHighSet(c, 2) ? 0 : m.reserve(argU32(c, 2)));
    }],
    [132, (c) => commit(c, false)],
    [133, (c) => commit(c, true)],
    [134, (c) => retU32(c, ring(c, 'bpf_ringbuf_query').query(argHighSet(c, 2) ? -1 : argU32(c, 2)))],
    [25, (c) => {
      const m = mapArg(env, c, 2, 'bpf_perf_event_output');
      if (m.params.type !== MapType.PERF_EVENT_ARRAY) throw env.fault(c, `bpf_perf_event_output: map '${m.name}' is not a PERF_EVENT_ARRAY`);
      const flags = argU64(c, 3);
      const data = argU32(c, 4);
      const size = argU32(c, 5);
      env.checkMem(c, data, size, false);
      if ((flags & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)) !== 0n) return retS32(c, -Errno.EINVAL);
      const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
      const x = new XdpBuff(env.arena, c.ctx);
      if (ctxLen > x.buffLen) return retS32(c, -Errno.EFAULT);
      const rawIndex = Number(flags & BPF_F_INDEX_MASK);
      const index = rawIndex === BPF_F_CURRENT_CPU ? c.cpu : rawIndex;
      if (index >= m.params.maxEntries) return retS32(c, -Errno.E2BIG);
      if (m.lookup(Uint8Array.of(index & 0xff, (index >>> 8) & 0xff, (index >>> 16) & 0xff, index >>> 24), c.cpu) === 0) {
        return retS32(c, -Errno.ENOENT);
      }
      const sample = new Uint8Array(size + ctxLen);
      sample.set(env.arena.u8.subarray(data, data + size));
      sample.set(x.slice(0, ctxLen), size);
      env.emit({ type: 'perf', cpu: c.cpu, map: m.name, data: sample });
      retS32(c, 0);
    }],
  ]);
}
