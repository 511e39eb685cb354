/**
 * The helper table of docs/program-guide.md, rendered from the one table of helper prototypes
 * (src/ebpf/helpers.ts) between `<!-- helpers:begin ... -->` and `<!-- helpers:end -->`.
 */
import { HELPERS, type HelperProto } from '../../src/ebpf/helpers.js';
import { mapTypeName } from '../../src/ebpf/object-spec.js';

export const HELPERS_BEGIN = '<!-- helpers:begin (generated from src/ebpf/helpers.ts by scripts/gen-api-docs.sh) -->';
export const HELPERS_END = '<!-- helpers:end -->';

/** What a program passes for each argument kind, in the words of the kernel's bpf_arg_type. */
const ARG_WORDS: Readonly<Record<string, string>> = {
  anything: 'scalar', const_map_ptr: '&map', map_key: 'key ptr', map_value: 'value ptr', uninit_map_value: 'value buffer',
  mem: 'buffer', rw_mem: 'buffer (read+written)', mem_or_null: 'buffer or NULL', uninit_mem: 'out buffer', const_size: 'size',
  const_size_or_zero: 'size (may be 0)', ctx: 'ctx', alloc_mem: 'ringbuf record', const_alloc_size_or_zero: 'size', spin_lock: '&lock',
  func: 'callback', stack_or_null: 'stack ptr or NULL', long_ptr: 'u64 ptr', u32_ptr: 'u32 ptr',
};

function row(h: HelperProto): string {
  const args = h.args.map((a) => ARG_WORDS[a] ?? a).join(', ');
  const maps = (h.mapTypes ?? []).map((t) => mapTypeName(t).replace(/^BPF_MAP_TYPE_/, '')).join(', ');
  const notes = [h.gplOnly ? 'GPL only' : '', h.changesPktData ? 'moves packet data: re-check bounds after' : ''].filter(Boolean).join('; ');
  return `| ${h.id} | \`bpf_${h.name}\` | ${args} | ${h.ret.replace(/_/g, ' ')} | ${maps} | ${notes} |`;
}

export function renderHelperTable(): string {
  return [
    HELPERS_BEGIN,
    '',
    '| id | helper | arguments | returns | map types | notes |',
    '|---|---|---|---|---|---|',
    ...[...HELPERS].sort((a, b) => a.id - b.id).map(row),
    '',
    HELPERS_END,
  ].join('\n');
}

/** `markdown` with its generated helper section replaced by today's table. */
export function withHelperTable(markdown: string): string {
  const begin = markdown.indexOf(HELPERS_BEGIN);
  const end = markdown.indexOf(HELPERS_END);
  if (begin < 0 || end < begin) throw new Error(`no '${HELPERS_BEGIN}' … '${HELPERS_END}' section`);
  return markdown.slice(0, begin) + renderHelperTable() + markdown.slice(end + HELPERS_END.length);
}
