/**
 * ELF bytes → immutable ObjectSpec (cilium/ebpf's LoadCollectionSpec; libbpf's bpf_object__open +
 * bpf_object__relocate without the kernel). Pure TypeScript, no native code; every malformed input ends
 * as ObjectFormatError (section + byte offset), every valid-but-unsupported one as UnsupportedFeatureError.
 *
 * Order of work mirrors libbpf: ELF → BTF → BTF.ext → maps (legacy, BTF, global data) → programs
 * (relocations, CO-RE, linking of .text sub-programs) → license / version / libxdp run configs.
 */
import { ObjectFormatError, UnsupportedFeatureError } from './loader-errors.js';
import type { MapSpec, ObjectSpec } from './object-spec.js';
import { parseElf, SectionType } from './elf/elf-file.js';
import { parseBtf, type BtfSpec } from './btf/btf.js';
import { parseBtfExt } from './btf/btf-ext.js';
import { parseMaps } from './loader-maps.js';
import { parsePrograms } from './loader-programs.js';
import { parseRunConfigs } from './loader-run-config.js';

export { ObjectFormatError, UnsupportedFeatureError } from './loader-errors.js';
export { BtfSpec } from './btf/btf.js';
export { programKindOf } from './loader-programs.js';

export function parseObject(bytes: Uint8Array): ObjectSpec {
  try {
    return parseObjectUnchecked(bytes);
  } catch (e) {
    if (e instanceof ObjectFormatError || e instanceof UnsupportedFeatureError) throw e;
    // A parser bug must still surface as a typed refusal of this input, never as a crash of the caller.
    throw new ObjectFormatError(`internal parser error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseObjectUnchecked(bytes: Uint8Array): ObjectSpec {
  const elf = parseElf(bytes);
  const btfSec = elf.sectionByName('.BTF');
  const btf: BtfSpec | undefined = btfSec && btfSec.type !== SectionType.NOBITS ? parseBtf(btfSec.data, '.BTF') : undefined;
  const extSec = elf.sectionByName('.BTF.ext');
  const ext = btf && extSec && extSec.type !== SectionType.NOBITS ? parseBtfExt(extSec.data, btf) : undefined;
  const maps = parseMaps(elf, btf);
  const programs = parsePrograms({ elf, btf, ext, maps });

  const licenseSec = elf.sectionByName('license');
  const license = licenseSec ? cString(licenseSec.data) : '';
  const versionSec = elf.sectionByName('version');
  let kernelVersion: number | undefined;
  if (versionSec) {
    if (versionSec.data.length !== 4) {
      throw new ObjectFormatError(`version section is ${versionSec.data.length} bytes, not 4`, { section: 'version', byteOffset: versionSec.fileOffset });
    }
    kernelVersion = new DataView(versionSec.data.buffer, versionSec.data.byteOffset, 4).getUint32(0, true);
  }
  const spec: ObjectSpec = {
    license, programs: Object.freeze(programs), maps: maps.maps, runConfigs: parseRunConfigs(btf),
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    ...(btf ? { btf } : {}),
  };
  return Object.freeze(spec);
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

/** Raised by withGlobalData for a map that is not global data, or contents of the wrong size. */
export class GlobalDataError extends Error {
  constructor(message: string, readonly mapName: string) {
    super(message);
    this.name = 'GlobalDataError';
  }
}

/**
 * A new spec whose global-data map `mapName` (".rodata", ".data", ".rodata.foo"...) starts with `data`:
 * the libbpf skeleton's settable `const volatile` configuration, applied before verification.
 */
export function withGlobalData(spec: ObjectSpec, mapName: string, data: Uint8Array): ObjectSpec {
  const index = spec.maps.findIndex((m) => m.name === mapName);
  const map = spec.maps[index];
  if (!map || map.origin.kind !== 'global') {
    const names = spec.maps.filter((m) => m.origin.kind === 'global').map((m) => m.name);
    throw new GlobalDataError(`no global-data map ${mapName} (the object has: ${names.join(', ') || 'none'})`, mapName);
  }
  if (data.length !== map.valueSize) {
    throw new GlobalDataError(`${mapName} is ${map.valueSize} bytes; the new contents are ${data.length}`, mapName);
  }
  const replaced: MapSpec = Object.freeze({ ...map, initialData: data.slice() });
  const maps = spec.maps.map((m, i) => (i === index ? replaced : m));
  return Object.freeze({ ...spec, maps: Object.freeze(maps) });
}
