import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/vm/arena.js';
import { Datapath, type StageSpec } from '../../src/dataplane/datapath.js';
import { Replay } from '../../src/dataplane/replay.js';
import { ACTION_LABELS } from '../../src/dataplane/counters.js';
import { udpFrame, PAYLOAD_OFFSET } from './frames.js';

const PROCESSOR = new URL('./fixtures/byte-action-processor.js', import.meta.url).href;

function makeDatapath(cpus = 2): Datapath {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus });
  const size = 16 << 20;
  return new Datapath({ memory: arena.memory, regionBase: arena.alloc(size, 'data plane'), regionSize: size, cpus });
}

const stage = (program: string, spec: object): StageSpec =>
  ({ program, recipe: { module: PROCESSOR, spec }, chainCallActions: 1 << 2 });

function sum(dp: Datapath, iface: string, field: 'packets' | 'bytes', action: string): number {
  const a = ACTION_LABELS.indexOf(action as (typeof ACTION_LABELS)[number]);
  return dp.counters().filter((r) => r.interface === iface).reduce((s, r) => s + r[field][a]!, 0);
}

test('every replayed frame is counted once under the action its program returned, on some CPU', async () => {
  const dp = makeDatapath();
  try {
    await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('byaction', { offset: PAYLOAD_OFFSET })]);
    // Actions cycle DROP, PASS, TX, ABORTED, 9 (unknown) over 1000 frames of 50 flows.
    const actions = [1, 2, 3, 0, 9];
    const frames = Array.from({ length: 1000 }, (_, i) => ({ data: udpFrame(1000 + (i % 50), [actions[i % 5]!]), tsNs: BigInt(i * 1000) }));
    const cap = dp.loadCapture(frames);
    const r = new Replay('r1', dp, dp.interface('p0')!, 'mem', cap, { speed: 0, loop: 2, clock: 'capture' });
    await r.finished;
    assert.equal(r.status().state, 'done');
    assert.equal(r.status().framesSent, 2000);
    for (const a of ['drop', 'pass', 'tx', 'aborted', 'unknown']) assert.equal(sum(dp, 'p0', 'packets', a), 400, a);
    assert.equal(sum(dp, 'p0', 'bytes', 'pass'), 400 * 64);
    const rows = dp.counters();
    assert.equal(rows.reduce((s, r) => s + r.exceptions, 0), 800);
    assert.ok(rows.filter((r) => r.packets.some((p) => p > 0)).length === 2, 'both CPUs received flows');
    const st = dp.interface('p0')!.stats;
    assert.equal(st.passPackets, 400);
    assert.equal(st.txPackets, 400);
  } finally {
    await dp.close();
  }
});

test('replacing the program 100 times during a replay loses and doubles no frame', async () => {
  const dp = makeDatapath();
  try {
    await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('prog', { action: 2, tag: 0 })]);
    const frames = Array.from({ length: 500 }, (_, i) => ({ data: udpFrame(i), tsNs: BigInt(i) }));
    const r = new Replay('r1', dp, dp.interface('p0')!, 'mem', dp.loadCapture(frames), { speed: 0, loop: 0, clock: 'wall' });
    for (let swaps = 0; swaps < 100; swaps++) {
      await dp.attach('p0', [stage('prog', { action: swaps % 2 === 0 ? 1 : 2 })]);
      // Let the workers run some batches with each program.
      await new Promise((res) => setTimeout(res, 2));
    }
    await r.stop();
    assert.equal(r.status().state, 'stopped');
    const drop = sum(dp, 'p0', 'packets', 'drop'), pass = sum(dp, 'p0', 'packets', 'pass');
    assert.ok(drop > 0 && pass > 0, `both programs ran (drop ${drop}, pass ${pass})`);
    assert.equal(drop + pass, r.status().framesSent);
    assert.equal(dp.interface('p0')!.stats.passPackets, pass);
    assert.equal(dp.interface('p0')!.stats.rxPackets, r.status().framesSent);
  } finally {
    await dp.close();
  }
});

test('a replay from memory runs each frame as the previous pass left its bytes, from its original bounds', async () => {
  const dp = makeDatapath();
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    const got: Array<{ frame: Uint8Array; tsNs: bigint }> = [];
    p!.passSink = { write: (f, tsNs) => { got.push({ frame: f.slice(), tsNs }); } };
    // PASS after adding 1 to the payload byte and moving data 14 bytes forward (as bpf_xdp_adjust_head).
    await dp.attach('p0', [stage('bump', { action: 2, increment: PAYLOAD_OFFSET, trim: 14 })]);
    const frames = Array.from({ length: 40 }, (_, i) => ({ data: udpFrame(i, [100]), tsNs: 1000n + BigInt(i) }));
    const r = new Replay('r1', dp, p!, 'mem', dp.loadCapture(frames), { speed: 0, loop: 3, clock: 'capture' });
    await r.finished;
    assert.equal(r.status().framesSent, 120);
    assert.equal(got.length, 120);
    assert.ok(got.every((g) => g.frame.length === 50), 'every pass starts from the frame\'s original bounds');
    const seen = got.map((g) => g.frame[PAYLOAD_OFFSET - 14]!).sort((x, y) => x - y);
    assert.deepEqual(seen, [...Array(40).fill(101), ...Array(40).fill(102), ...Array(40).fill(103)]);
    // Under the capture clock, pass k's timestamps follow the capture's, one capture span later per pass.
    const ts = got.map((g) => g.tsNs).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    assert.equal(ts[0], 1000n);
    assert.equal(ts[119], 1039n + 2n * 40n);
    assert.equal(sum(dp, 'p0', 'bytes', 'pass'), 120 * 64, 'bytes count the frame as the program received it');
    assert.equal(p!.stats.passPackets, 120);
    assert.equal(p!.stats.passBytes, 120 * 50);
  } finally {
    await dp.close();
  }
});

test('a replay from memory delivers TX to the veth peer and redirects; counting-only actions stay counted', async () => {
  const dp = makeDatapath();
  try {
    const [a, b] = await dp.addInterface({ name: 'va', kind: 'veth', peer: 'vb' });
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('va', [stage('fwd', { offset: PAYLOAD_OFFSET })]);
    await dp.attach('vb', [stage('pass', { action: 2 })]);
    const frames = [
      ...Array.from({ length: 10 }, (_, i) => ({ data: udpFrame(i, [3]), tsNs: 0n })),             // TX → vb
      ...Array.from({ length: 7 }, (_, i) => ({ data: udpFrame(i, [4, p!.ifindex]), tsNs: 0n })),   // → p0
      ...Array.from({ length: 5 }, (_, i) => ({ data: udpFrame(i, [1]), tsNs: 0n })),              // DROP
      ...Array.from({ length: 4 }, (_, i) => ({ data: udpFrame(i, [2]), tsNs: 0n })),              // PASS
    ];
    const r = new Replay('r1', dp, a!, 'mem', dp.loadCapture(frames), { speed: 0, loop: 2, clock: 'wall' });
    await r.finished;
    for (let i = 0; i < 100 && b!.stats.passPackets < 20; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(b!.stats.passPackets, 20);
    assert.equal(p!.stats.txPackets, 14);
    assert.equal(a!.stats.passPackets, 8);
    assert.equal(a!.stats.txPackets, 20);
    assert.equal(a!.stats.rxPackets, 52);
    assert.equal(sum(dp, 'va', 'packets', 'drop'), 10);
  } finally {
    await dp.close();
  }
});

test('TX on a veth end is received by its peer; redirects go to the named ifindex or count errors', async () => {
  const dp = makeDatapath();
  try {
    const [a, b] = await dp.addInterface({ name: 'va', kind: 'veth', peer: 'vb' });
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('va', [stage('fwd', { offset: PAYLOAD_OFFSET })]);
    await dp.attach('vb', [stage('pass', { action: 2 })]);
    const frames = [
      ...Array.from({ length: 10 }, (_, i) => ({ data: udpFrame(i, [3]), tsNs: 0n })),             // TX → vb
      ...Array.from({ length: 7 }, (_, i) => ({ data: udpFrame(i, [4, p!.ifindex]), tsNs: 0n })),   // → p0
      ...Array.from({ length: 5 }, (_, i) => ({ data: udpFrame(i, [4, 99]), tsNs: 0n })),           // no such ifindex
    ];
    await dp.submit(a!, frames).done;
    // The peer's own RX runs asynchronously after the TX was delivered.
    for (let i = 0; i < 100 && b!.stats.passPackets < 10; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(b!.stats.rxPackets, 10);
    assert.equal(b!.stats.passPackets, 10);
    assert.equal(p!.stats.txPackets, 7);
    const errs = dp.counters().filter((r) => r.interface === 'va').reduce((s, r) => s + r.redirectErrors[0]!, 0);
    assert.equal(errs, 5);
    assert.equal(sum(dp, 'va', 'packets', 'redirect'), 12);
  } finally {
    await dp.close();
  }
});

test('a chain runs the next program only for actions in chain_call_actions', async () => {
  const dp = makeDatapath(1);
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('first', { offset: PAYLOAD_OFFSET }), stage('second', { action: 1 })]);
    const frames = Array.from({ length: 30 }, (_, i) => ({ data: udpFrame(i, [i % 3 === 0 ? 2 : 3]), tsNs: 0n }));
    await dp.submit(p!, frames).done;
    const second = dp.counters().filter((r) => r.program === 'second');
    assert.equal(second.reduce((s, r) => s + r.packets[1]!, 0), 10);
    assert.equal(p!.stats.txPackets, 20);
    assert.equal(p!.stats.passPackets, 0);
  } finally {
    await dp.close();
  }
});

test('detaching removes the program\'s counters and frames then go straight to the stack', async () => {
  const dp = makeDatapath(1);
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('drop', { action: 1 })]);
    await dp.submit(p!, [{ data: udpFrame(1), tsNs: 0n }]).done;
    assert.equal(sum(dp, 'p0', 'packets', 'drop'), 1);
    assert.equal(await dp.detach('p0'), true);
    assert.deepEqual(dp.counters(), []);
    await dp.submit(p!, [{ data: udpFrame(1), tsNs: 0n }]).done;
    assert.equal(p!.stats.passPackets, 1);
  } finally {
    await dp.close();
  }
});

test('events a program emits reach onEvent with its program name and CPU', async () => {
  const dp = makeDatapath(2);
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('tracer', { action: 2, trace: true })]);
    const got: Array<{ program: string; cpu: number; data: string }> = [];
    dp.onEvent = (e) => got.push(e);
    await dp.submit(p!, Array.from({ length: 40 }, (_, i) => ({ data: udpFrame(i), tsNs: 0n }))).done;
    assert.equal(got.length, 40);
    assert.ok(got.every((e) => e.program === 'tracer' && e.data === 'action 2' && (e.cpu === 0 || e.cpu === 1)));
  } finally {
    await dp.close();
  }
});

test('frames longer than the linear part run as multi-buffer and leave whole', async () => {
  const dp = makeDatapath(1);
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('pass', { action: 2 })]);
    const got: Uint8Array[] = [];
    p!.passSink = { write: (f) => { got.push(f.slice()); } };
    const big = udpFrame(9, [], 9000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    await dp.submit(p!, [{ data: big, tsNs: 0n }, { data: udpFrame(10), tsNs: 0n }]).done;
    assert.equal(got.length, 2);
    assert.deepEqual(got.find((f) => f.length === 9000), big);
    assert.equal(sum(dp, 'p0', 'bytes', 'pass'), 9000 + 64);
  } finally {
    await dp.close();
  }
});

test('a capture whose per-CPU rings do not fit the region still replays, through batch buffers', async () => {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: 1 });
  // Room for one CPU's batch buffers, counters and the loaded capture, not for 1,000 frame slots of 4 KiB.
  const size = 3 << 20;
  const dp = new Datapath({ memory: arena.memory, regionBase: arena.alloc(size, 'data plane'), regionSize: size, cpus: 1 });
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    await dp.attach('p0', [stage('pass', { action: 2 })]);
    const frames = Array.from({ length: 1000 }, (_, i) => ({ data: udpFrame(i), tsNs: BigInt(i) }));
    const r = new Replay('r1', dp, p!, 'mem', dp.loadCapture(frames), { speed: 0, loop: 2, clock: 'wall' });
    await r.finished;
    assert.equal(r.status().state, 'done');
    assert.equal(r.status().framesSent, 2000);
    assert.equal(sum(dp, 'p0', 'packets', 'pass'), 2000);
    assert.equal(p!.stats.passPackets, 2000);
  } finally {
    await dp.close();
  }
});

test('detaching during a replay from memory sends the following frames to the stack, none lost or run twice', async () => {
  const dp = makeDatapath();
  try {
    const [p] = await dp.addInterface({ name: 'p0', kind: 'pcap' });
    // One trace event per frame the program drops (a CPU's ~150 frames are one batch, under the event cap).
    await dp.attach('p0', [stage('drop', { action: 1, trace: true })]);
    let ranByProgram = 0;
    dp.onEvent = (e) => { if (e.program === 'drop') ranByProgram++; };
    const frames = Array.from({ length: 300 }, (_, i) => ({ data: udpFrame(i), tsNs: BigInt(i) }));
    const r = new Replay('r1', dp, p!, 'mem', dp.loadCapture(frames), { speed: 0, loop: 0, clock: 'wall' });
    while (r.status().framesSent === 0) await new Promise((res) => setTimeout(res, 5));
    assert.equal(await dp.detach('p0'), true);
    // detach resolves only once no CPU can run the program any more (a worker posts a batch's events before
    // it acknowledges the switch), so the control plane may free the program's maps right after it.
    const ranBeforeDetachResolved = ranByProgram;
    while (p!.stats.passPackets === 0) await new Promise((res) => setTimeout(res, 5));
    await r.stop();
    assert.ok(ranByProgram > 0, 'the program ran before the detach');
    assert.equal(ranByProgram, ranBeforeDetachResolved, 'the program still ran after detach resolved');
    assert.equal(ranByProgram + p!.stats.passPackets, r.status().framesSent);
    assert.equal(p!.stats.rxPackets, r.status().framesSent);
  } finally {
    await dp.close();
  }
});

test('frames a veth end transmits one at a time are all accounted at its peer under a small RX backlog', async () => {
  const arena = Arena.create({ maxBytes: 64 << 20, cpus: 2 });
  const size = 16 << 20;
  const dp = new Datapath({ memory: arena.memory, regionBase: arena.alloc(size, 'data plane'), regionSize: size, cpus: 2, rxBacklog: 100 });
  try {
    const [a, b] = await dp.addInterface({ name: 'va', kind: 'veth', peer: 'vb' });
    await dp.attach('va', [stage('tx', { action: 3 })]);
    await dp.attach('vb', [stage('drop', { action: 1 })]);
    const frames = Array.from({ length: 1000 }, (_, i) => ({ data: udpFrame(i), tsNs: BigInt(i) }));
    // Under va's own backlog: chunks of 50, each delivered (and transmitted to vb) before the next.
    for (let i = 0; i < frames.length; i += 50) await dp.submit(a!, frames.slice(i, i + 50)).done;
    const settled = (): boolean => b!.stats.rxPackets === a!.stats.txPackets && sum(dp, 'vb', 'packets', 'drop') + b!.stats.rxDropped === b!.stats.rxPackets;
    for (let i = 0; i < 200 && !settled(); i++) await new Promise((res) => setTimeout(res, 10));
    const queueFull = dp.counters().filter((r) => r.interface === 'va').reduce((s, r) => s + r.redirectErrors.reduce((x, y) => x + y, 0), 0);
    assert.equal(sum(dp, 'va', 'packets', 'tx'), 1000);
    // Every transmitted frame was either refused at the sender (queue_full) or received by the peer, where it
    // either ran once or was counted as an RX drop.
    assert.equal(a!.stats.txPackets + queueFull, 1000);
    assert.equal(b!.stats.rxPackets, a!.stats.txPackets);
    assert.equal(sum(dp, 'vb', 'packets', 'drop') + b!.stats.rxDropped, b!.stats.rxPackets);
    assert.ok(sum(dp, 'vb', 'packets', 'drop') > 0, 'the peer ran some frames');
  } finally {
    await dp.close();
  }
});
