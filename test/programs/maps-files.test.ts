/**
 * programs/NAME.maps must fit programs/NAME.o: every line names a map of the object, keys and values have the
 * map's exact sizes (design.md §5: "full key and value sizes"), `@NAME` values name a program of the object
 * for PROG_ARRAY and a map for ARRAY_OF_MAPS / HASH_OF_MAPS, DEVMAP values are a u32 ifindex. A fill that
 * does not fit would make the differential tests fail for the wrong reason.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseObject } from '../../src/ebpf/loader.js';
import { MapType } from '../../src/ebpf/object-spec.js';
import { parseMapsText } from '../../src/vm/maps-file.js';

const PROGRAMS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../programs');
const mapsFiles = readdirSync(PROGRAMS_DIR).filter((n) => n.endsWith('.maps')).sort();

describe('program map fills', () => {
  it('there are map fills to check', () => assert.ok(mapsFiles.length >= 5));

  for (const file of mapsFiles) {
    it(file, () => {
      const spec = parseObject(new Uint8Array(readFileSync(join(PROGRAMS_DIR, file.replace(/\.maps$/, '.o')))));
      const lines = parseMapsText(readFileSync(join(PROGRAMS_DIR, file), 'utf8'), file);
      assert.ok(lines.length > 0, 'the file has entries');
      for (const l of lines) {
        const where = `${file}:${l.line}`;
        const map = spec.maps.find((m) => m.name === l.map);
        assert.ok(map, `${where}: no map '${l.map}' in the object (has ${spec.maps.map((m) => m.name).join(', ')})`);
        assert.equal(l.key.length, map.origin.kind === 'global' ? 4 : map.keySize, `${where}: key size`);
        if (l.value.kind === 'ref') {
          const refName = l.value.name;
          if (map.type === MapType.PROG_ARRAY) {
            assert.ok(spec.programs.some((p) => p.name === refName), `${where}: no program '${refName}'`);
          } else {
            assert.ok(map.type === MapType.ARRAY_OF_MAPS || map.type === MapType.HASH_OF_MAPS, `${where}: @ value for ${l.map}`);
            const inner = spec.maps.find((m) => m.name === refName);
            assert.ok(inner, `${where}: no map '${refName}'`);
            assert.equal(inner.type, map.innerMap?.type, `${where}: inner map type`);
          }
        } else {
          assert.equal(l.value.bytes.length, map.valueSize, `${where}: value size`);
          if (map.type === MapType.DEVMAP || map.type === MapType.DEVMAP_HASH) {
            // lo (ifindex 1) exists on every host, so the kernel oracle can take the same fill.
            assert.equal(new DataView(l.value.bytes.buffer, l.value.bytes.byteOffset).getUint32(0, true), 1, `${where}: ifindex`);
          }
        }
        if (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY || map.type === MapType.PROG_ARRAY) {
          const index = new DataView(l.key.buffer, l.key.byteOffset).getUint32(0, true);
          assert.ok(index < map.maxEntries, `${where}: index ${index} within ${map.maxEntries} entries`);
        }
      }
    });
  }
});
