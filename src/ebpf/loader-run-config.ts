/**
 * libxdp's per-program run configuration (xdp-tools headers/xdp/xdp_helpers.h, libxdp.c
 * xdp_program__parse_btf):
 *
 *   struct { __uint(priority, 10); __uint(XDP_PASS, 1); __uint(XDP_DROP, 1); } XDP_RUN_CONFIG(prog);
 *
 * declares a variable `_prog` in the run-config section; it is read from BTF only (the data is zero).
 * `priority` defaults to 50; every XDP_<ACTION> member sets (non-zero) or clears (zero) that action's bit
 * in chain_call_actions, which starts as 1 << XDP_PASS.
 */
import { UnsupportedFeatureError } from './loader-errors.js';
import type { XdpRunConfig } from './object-spec.js';
import { XDP_ACTION_NAMES, XdpAction } from './opcodes.js';
import type { BtfSpec } from './btf/btf.js';

/** libxdp's original name, the `.`-prefixed spelling, and USE_LIBBPF_V1_SECTION_NAMES's `.data.` one. */
const RUN_CONFIG_SECTIONS = ['xdp_run_config', '.xdp_run_config', '.data.xdp_run_config'];
export const DEFAULT_RUN_PRIORITY = 50;
export const DEFAULT_CHAIN_CALL_ACTIONS = 1 << XdpAction.PASS;

export function isRunConfigSection(name: string): boolean {
  return RUN_CONFIG_SECTIONS.includes(name);
}

export function parseRunConfigs(btf: BtfSpec | undefined): ReadonlyMap<string, XdpRunConfig> {
  const out = new Map<string, XdpRunConfig>();
  if (!btf) return out;
  for (const secName of RUN_CONFIG_SECTIONS) {
    for (const sec of btf.byName(secName, 'datasec')) {
      if (sec.kind !== 'datasec') continue;
      for (const vi of sec.vars) {
        const v = btf.typeById(vi.type);
        if (v.kind !== 'var' || !v.name.startsWith('_')) continue;
        out.set(v.name.slice(1), parseOne(btf, v.name, v.type));
      }
    }
  }
  return out;
}

function parseOne(btf: BtfSpec, varName: string, typeId: number): XdpRunConfig {
  const def = btf.resolve(typeId);
  if (def.kind !== 'struct') throw btf.error(`run config ${varName} is a ${def.kind}, not a struct`, typeId);
  let priority = DEFAULT_RUN_PRIORITY;
  let chainCallActions = DEFAULT_CHAIN_CALL_ACTIONS;
  for (const m of def.members) {
    const p = btf.resolve(m.type);
    const a = p.kind === 'ptr' ? btf.resolve(p.type) : p;
    if (a.kind !== 'array') throw btf.error(`run config ${varName}: member ${m.name} is not a __uint(...)`, def.id);
    const action = (XDP_ACTION_NAMES as readonly string[]).indexOf(m.name);
    if (m.name === 'priority') priority = a.nelems;
    else if (action >= 0) chainCallActions = a.nelems ? chainCallActions | (1 << action) : chainCallActions & ~(1 << action);
    else throw new UnsupportedFeatureError(`run config field ${m.name}`, `run config ${varName}: unknown field '${m.name}'`);
  }
  return Object.freeze({ priority, chainCallActions });
}
