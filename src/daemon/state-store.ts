/**
 * The daemon's persisted state in --state-dir (design.md §6): every write is to a temporary file then a
 * rename, so a crash (SIGKILL) leaves either the old or the new file, never a torn one.
 * ```
 *  state.json            programs (metadata), interfaces, attachments, id counters
 *  programs/<id>.o       the object bytes as uploaded
 *  maps/<mapId>.json     a map's entries: written at once after an API write, and by the 5 s snapshots
 * ```
 */
import { mkdir, readFile, rename, writeFile, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InterfaceSpec } from '../dataplane/interfaces.js';

export interface PersistedProgram {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  /** Daemon map id per map name (ids stay stable across restarts). */
  readonly mapIds: Readonly<Record<string, string>>;
}

export interface PersistedStage {
  readonly program: string;
  readonly entry: string;
  readonly priority: number;
  readonly chainCallActions: number;
}

export interface PersistedAttachment {
  readonly engine: 'jit' | 'interp';
  readonly harden: boolean;
  /** One stage for a single program; several for a chain, in run order. */
  readonly stages: readonly PersistedStage[];
  readonly chain: boolean;
}

export interface PersistedInterface {
  readonly spec: InterfaceSpec;
  readonly ifindex: number;
  readonly peerIfindex?: number;
}

export interface PersistedState {
  readonly version: 1;
  readonly nextProgramId: number;
  readonly nextMapId: number;
  readonly programs: readonly PersistedProgram[];
  readonly interfaces: readonly PersistedInterface[];
  readonly attachments: Readonly<Record<string, PersistedAttachment>>;
}

export interface PersistedMap {
  /** Hex key → hex value per CPU (one element for shared maps). */
  readonly entries: ReadonlyArray<{ readonly key: string; readonly values: readonly string[] }>;
}

export const EMPTY_STATE: PersistedState = {
  version: 1, nextProgramId: 1, nextMapId: 1, programs: [], interfaces: [], attachments: {},
};

export class StateStore {
  private seq = 0;

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<StateStore> {
    await mkdir(join(dir, 'programs'), { recursive: true });
    await mkdir(join(dir, 'maps'), { recursive: true });
    return new StateStore(dir);
  }

  private async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}-${this.seq++}`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }

  async readState(): Promise<PersistedState> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'state.json'), 'utf8')) as PersistedState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
      throw err;
    }
  }

  writeState(state: PersistedState): Promise<void> {
    return this.writeAtomic(join(this.dir, 'state.json'), JSON.stringify(state, null, 1));
  }

  writeProgram(id: string, bytes: Uint8Array): Promise<void> {
    return this.writeAtomic(join(this.dir, 'programs', `${id}.o`), bytes);
  }

  readProgram(id: string): Promise<Uint8Array> {
    return readFile(join(this.dir, 'programs', `${id}.o`));
  }

  async removeProgram(id: string, mapIds: readonly string[]): Promise<void> {
    await rm(join(this.dir, 'programs', `${id}.o`), { force: true });
    for (const m of mapIds) await rm(join(this.dir, 'maps', `${m}.json`), { force: true });
  }

  writeMap(mapId: string, map: PersistedMap): Promise<void> {
    return this.writeAtomic(join(this.dir, 'maps', `${mapId}.json`), JSON.stringify(map));
  }

  async readMap(mapId: string): Promise<PersistedMap | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'maps', `${mapId}.json`), 'utf8')) as PersistedMap;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Leftover temporaries of a write interrupted by a crash. */
  async sweepTemporaries(): Promise<void> {
    for (const sub of ['', 'programs', 'maps']) {
      for (const f of await readdir(join(this.dir, sub))) {
        if (f.includes('.tmp-')) await rm(join(this.dir, sub, f), { force: true });
      }
    }
  }
}
