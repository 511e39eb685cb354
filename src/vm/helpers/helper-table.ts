/**
 * The helpers the runtime implements, by kernel id, for one runtime's HelperEnv. An object calling a helper
 * that is not here fails to load with UnsupportedHelperError naming it (design.md §5, exit 2).
 */
import { helperById } from '../../ebpf/helpers.js';
import { UnsupportedFeatureError } from '../../ebpf/loader-errors.js';
import type { HelperImpl } from '../exec-types.js';
import { controlHelpers } from './control.js';
import { csumHelpers } from './csum.js';
import { eventHelpers } from './events.js';
import { forEachHelpers } from './for-each.js';
import { netHelpers } from './net.js';
import type { HelperEnv } from './helper-env.js';
import { mapHelpers } from './map-helpers.js';
import { redirectHelpers } from './redirect.js';
import { timeHelpers } from './time.js';
import { tracePrintkHelpers } from './trace-printk.js';
import { xdpBuffHelpers } from './xdp-buff.js';

export class UnsupportedHelperError extends UnsupportedFeatureError {
  constructor(readonly program: string, readonly helperId: number, readonly insn: number) {
    const proto = helperById(helperId);
    const name = proto ? `bpf_${proto.name}` : `helper #${helperId}`;
    super(name, `program '${program}': insn ${insn}: ${name} (helper ${helperId}) is not supported`);
    this.name = 'UnsupportedHelperError';
  }
}

export type HelperResolver = (id: number) => HelperImpl | undefined;

export function buildHelpers(env: HelperEnv): HelperResolver {
  const table = new Map<number, HelperImpl>();
  for (const group of [
    mapHelpers(env), xdpBuffHelpers(env), csumHelpers(env), redirectHelpers(env), timeHelpers(env),
    tracePrintkHelpers(env), controlHelpers(env), eventHelpers(env),
    forEachHelpers(env), netHelpers(env),
  ]) {
    for (const [id, impl] of group) table.set(id, impl);
  }
  return (id) => table.get(id);
}
