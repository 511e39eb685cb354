import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, REPO, makeDirs, removeDirs } from './daemon-process.js';

test('DELETE /v1/programs/{id} frees the object\'s maps: a small arena takes 100 upload/delete cycles', async (t) => {
  const dirs = await makeDirs();
  t.after(() => removeDirs(dirs));
  // port_firewall's maps take about 232 KiB: 100 loads without freeing need 23 MiB, four times what the
  // 16 MiB arena has left after the data-plane region.
  const d = await DaemonProcess.start(dirs, ['--arena-size', '16M']);
  t.after(() => d.kill('SIGKILL'));
  const obj = await readFile(join(REPO, 'programs', 'port_firewall.o'));
  for (let i = 0; i < 100; i++) {
    const up = await d.req('POST', '/v1/programs?name=fw', obj);
    assert.equal(up.status, 201, `upload ${i}: ${up.text}`);
    const del = await d.req('DELETE', `/v1/programs/${up.json.id}`);
    assert.equal(del.status, 204, `delete ${i}: ${del.text}`);
  }
  assert.deepEqual((await d.req('GET', '/v1/maps')).json, []);
});
