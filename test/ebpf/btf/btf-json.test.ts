import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObject } from '../../../src/ebpf/loader.js';
import { btfValueToJson, globalsToJson } from '../../../src/ebpf/btf/btf-json.js';
import { fixture } from '../loader/fixture-objects.js';

test('map keys and values render through their BTF types', () => {
  const o = parseObject(fixture('maps_btf.o'));
  const flows = o.maps.find((m) => m.name === 'flows')!;
  const key = new Uint8Array(16);
  const kv = new DataView(key.buffer);
  kv.setUint32(0, 0x0100000a, true); kv.setUint32(4, 0xffffffff, true); kv.setUint16(8, 53, true); kv.setUint16(10, 443, true);
  key[12] = 17; key[13] = 1;
  assert.deepEqual(btfValueToJson(o.btf!, flows.btfKeyType!, key),
    { saddr: 0x0100000a, daddr: 0xffffffff, sport: 53, dport: 443, proto: 17, pad: [1, 0, 0] });
  const value = new Uint8Array(24);
  const vv = new DataView(value.buffer);
  vv.setBigUint64(0, 2n ** 60n + 1n, true); // above 2^53: a decimal string
  vv.setBigUint64(8, 1500n, true);
  vv.setUint32(16, 0b10110_101, true); // flags:3 = 5, kind:5 = 22
  assert.deepEqual(btfValueToJson(o.btf!, flows.btfValueType!, value),
    { packets: '1152921504606846977', bytes: 1500, flags: 5, kind: 22 });
});

test('global data renders per variable, char arrays as strings, enums by name', () => {
  const o = parseObject(fixture('globals.o'));
  const rodata = o.maps.find((m) => m.name === '.rodata')!;
  assert.deepEqual(globalsToJson(o.btf!, rodata.globals, rodata.initialData!), { drop_port: 53, verbose: 0, 'prog_main.____fmt': '%s' });
  const str = o.maps.find((m) => m.name === '.rodata.str')!;
  assert.deepEqual(globalsToJson(o.btf!, str.globals, str.initialData!), { greeting: 'hello' });

  const c = parseObject(fixture('core_local.o'));
  const bits = c.btf!.byName('bits', 'struct')[0]!.id;
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, (0x123456789an << 12n) | (0x1ffn << 3n) | 5n, true);
  assert.deepEqual(btfValueToJson(c.btf!, bits, b), { lo: 5, mid: -1, hi: 0x123456789a });
  const kind = c.btf!.byName('meta_kind', 'enum')[0]!.id;
  assert.equal(btfValueToJson(c.btf!, kind, Uint8Array.from([9, 0, 0, 0])), 'MK_TUNNEL');
  assert.equal(btfValueToJson(c.btf!, kind, Uint8Array.from([7, 0, 0, 0])), 7);
});
