/** Where the committed sample captures live, seen from dist/test/dataplane/capture/. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PCAPS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../pcaps');

export function samplePath(name: string): string {
  return join(PCAPS_DIR, name);
}

export function readSample(name: string): Uint8Array {
  return new Uint8Array(readFileSync(samplePath(name)));
}
