import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELPERS, helperById, helperByName } from '../../../src/ebpf/helpers.js';
import { Arena } from '../../../src/vm/arena.js';
import { Runtime } from '../../../src/vm/runtime/runtime.js';
import { objectSpec } from '../runtime/fixtures.js';

test('the prototype table and the implementations cover the same helpers, by kernel id', () => {
  const rt = Runtime.load(Arena.create({ maxBytes: 8 << 20 }), objectSpec([]));
  const ids = HELPERS.map((h) => h.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const h of HELPERS) assert.ok(rt.helpers(h.id), `bpf_${h.name} (${h.id}) has an implementation`);
  for (let id = 0; id < 256; id++) if (rt.helpers(id)) assert.ok(helperById(id), `helper ${id} has a prototype`);
});

test('lookups by id and by name, with or without the bpf_ prefix (uapi FN list numbering)', () => {
  assert.equal(helperByName('bpf_map_lookup_elem')?.id, 1);
  assert.equal(helperByName('xdp_adjust_tail')?.id, 65);
  assert.equal(helperById(195)?.name, 'map_lookup_percpu_elem');
  assert.equal(helperById(44)?.changesPktData, true);
  assert.equal(helperById(6)?.gplOnly, true);
  assert.equal(helperById(4), undefined);
});
