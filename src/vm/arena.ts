/**
 * The arena (design.md §2): one shared WebAssembly.Memory holding every map, frame slot, descriptor and
 * counter, plus the heap allocator that hands out its pieces. All allocator state lives in the control block
 * inside the arena itself, so a worker thread that receives the same `WebAssembly.Memory` can
 * `Arena.attach(memory)` and allocate or read maps as the main thread does.
 *
 * Control block (at CONTROL_BLOCK, see arena-layout.ts):
 * ```
 *  +0  u32 magic 'XDPJ'     +4  u32 layout version   +8  u32 CPU count       +12 u32 maximum pages
 *  +16 u32 heap cursor      +20 u32 allocator lock   +24 u32 free-list head  +28 u32 next map id
 * ```
 *
 * Heap blocks are 64-byte aligned (one cache line) and a multiple of 64 bytes. Each starts with a 64-byte
 * block header line, and the caller's bytes follow it, so every allocation starts on its own cache line:
 * ```
 *  block+0  u32 block size (bytes, header included)   block+4  u32 next free block (free list only)
 *  block+64 payload ...
 * ```
 * Allocation is best fit over the free list (a larger block is split), then bump from the cursor, growing the
 * memory on demand up to the maximum. Freed neighbours are not coalesced: maps and frame slots come and go
 * rarely and in few sizes. The allocator lock is a spin lock (Atomics.compareExchange): the main thread may not block on
 * Atomics.wait, and allocations are rare (map creation, frame slots), never per packet.
 */
import { CONTROL_BLOCK, HEAP_BASE, MAX_CPUS } from './arena-layout.js';

export const ArenaCtl = {
  MAGIC: 0, VERSION: 4, CPUS: 8, MAX_PAGES: 12, CURSOR: 16, LOCK: 20, FREE_HEAD: 24, NEXT_MAP_ID: 28,
} as const;
export const ARENA_MAGIC = 0x4a504458; // 'XDPJ' little-endian
export const ARENA_VERSION = 1;
export const WASM_PAGE = 65536;
export const BLOCK_ALIGN = 64;
export const BLOCK_HEADER = 64;
/** design.md §2: `--arena-size` default. */
export const DEFAULT_ARENA_BYTES = 1 << 30;
/** memory32: 65536 pages of 64 KiB. */
export const MAX_ARENA_BYTES = 65536 * WASM_PAGE;

/**
 * The part of `WebAssembly.Memory` the arena uses. Declared here because the project's `lib` (ES2022, node
 * types) does not describe the WebAssembly namespace; a real `WebAssembly.Memory` satisfies it.
 */
export interface ArenaMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}
interface MemoryCtor {
  new (d: { initial: number; maximum: number; shared: boolean }): ArenaMemory;
}
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: MemoryCtor } }).WebAssembly.Memory;

export class ArenaFullError extends Error {
  constructor(readonly what: string, readonly requested: number, readonly free: number, readonly arenaSize: number) {
    super(`${what} needs ${requested} bytes but the arena has ${free} bytes left of ${arenaSize} (raise --arena-size)`);
    this.name = 'ArenaFullError';
  }
}

export class ArenaAttachError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArenaAttachError';
  }
}

export interface ArenaOptions {
  /** Maximum size in bytes (rounded up to 64 KiB pages); default 1 GiB. */
  readonly maxBytes?: number;
  /** Worker count: per-CPU maps keep this many value slots. Default 1. */
  readonly cpus?: number;
}

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class Arena {
  private u8view: Uint8Array;
  private u32view: Uint32Array;
  private dataView: DataView;

  private constructor(readonly memory: ArenaMemory) {
    this.u8view = new Uint8Array(memory.buffer);
    this.u32view = new Uint32Array(memory.buffer);
    this.dataView = new DataView(memory.buffer);
  }

  /** A fresh arena: memory reserved up to `maxBytes`, committed on demand. */
  static create(opts: ArenaOptions = {}): Arena {
    const maxBytes = roundUp(opts.maxBytes ?? DEFAULT_ARENA_BYTES, WASM_PAGE);
    const cpus = opts.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) throw new RangeError(`cpus must be 1..${MAX_CPUS}, got ${cpus}`);
    const minBytes = roundUp(HEAP_BASE + WASM_PAGE, WASM_PAGE);
    if (maxBytes > MAX_ARENA_BYTES || maxBytes < minBytes) {
      throw new RangeError(`arena size must be ${minBytes}..${MAX_ARENA_BYTES} bytes, got ${opts.maxBytes}`);
    }
    const memory = new WasmMemory({ initial: minBytes / WASM_PAGE, maximum: maxBytes / WASM_PAGE, shared: true });
    const arena = new Arena(memory);
    const w = (off: number, v: number): void => { arena.u32view[(CONTROL_BLOCK + off) >>> 2] = v; };
    w(ArenaCtl.VERSION, ARENA_VERSION);
    w(ArenaCtl.CPUS, cpus);
    w(ArenaCtl.MAX_PAGES, maxBytes / WASM_PAGE);
    w(ArenaCtl.CURSOR, HEAP_BASE);
    w(ArenaCtl.FREE_HEAD, 0);
    w(ArenaCtl.NEXT_MAP_ID, 1);
    Atomics.store(arena.u32view, (CONTROL_BLOCK + ArenaCtl.MAGIC) >>> 2, ARENA_MAGIC);
    return arena;
  }

  /** The same arena seen from another thread (the memory was posted to it). */
  static attach(memory: ArenaMemory): Arena {
    const arena = new Arena(memory);
    if (Atomics.load(arena.u32view, (CONTROL_BLOCK + ArenaCtl.MAGIC) >>> 2) !== ARENA_MAGIC) {
      throw new ArenaAttachError('memory is not an initialised xdpjit arena (bad magic)');
    }
    if (arena.ctl(ArenaCtl.VERSION) !== ARENA_VERSION) {
      throw new ArenaAttachError(`arena layout version ${arena.ctl(ArenaCtl.VERSION)}, expected ${ARENA_VERSION}`);
    }
    return arena;
  }

  get cpus(): number { return this.ctl(ArenaCtl.CPUS); }
  get maxBytes(): number { return this.ctl(ArenaCtl.MAX_PAGES) * WASM_PAGE; }
  /** Bytes handed out so far (high-water mark of the bump cursor). */
  get heapEnd(): number { return Atomics.load(this.u32, (CONTROL_BLOCK + ArenaCtl.CURSOR) >>> 2); }

  /** Views over the whole memory, refreshed after another thread (or this one) grew it. */
  get u8(): Uint8Array { this.refresh(); return this.u8view; }
  get u32(): Uint32Array { this.refresh(); return this.u32view; }
  get dv(): DataView { this.refresh(); return this.dataView; }

  /**
   * The memory only grows in `bump`, which moves the cursor past the old end after growing; so views need
   * rebuilding exactly when the cursor is beyond them. Reading `memory.buffer` on every access instead costs
   * a wrapper object per call on shared memory.
   *
   * The cursor is read with a plain load, not Atomics.load (~17 ns per view access on this machine, paid by
   * every helper call): the cursor only grows, and a caller can only name an address past the view's end by
   * having learnt it from the allocation that grew the memory: through this thread's own `bump` (which
   * rebuilds the views itself), or from another thread through a synchronising edge (postMessage, an atomic
   * store the caller read with Atomics.load, Atomics.wait/notify) that the cursor store in `bump` happens
   * before. Reads after such an edge see a cursor at least that new, so a stale cursor can only be one that
   * no address the caller holds lies beyond; and the views stay valid for every byte below their length,
   * since shared memory never moves or shrinks.
   */
  private refresh(): void {
    if (this.u32view[(CONTROL_BLOCK + ArenaCtl.CURSOR) >>> 2]! > this.u8view.byteLength) this.rebuild();
  }

  private rebuild(): void {
    const buf = this.memory.buffer;
    this.u8view = new Uint8Array(buf);
    this.u32view = new Uint32Array(buf);
    this.dataView = new DataView(buf);
  }

  private ctl(off: number): number { return Atomics.load(this.u32, (CONTROL_BLOCK + off) >>> 2); }

  /** A fresh map id (kernel: map ids are unique for the map's lifetime; here for the arena's). */
  nextMapId(): number { return Atomics.add(this.u32, (CONTROL_BLOCK + ArenaCtl.NEXT_MAP_ID) >>> 2, 1); }

  /**
   * `size` zeroed bytes starting on a 64-byte boundary. Throws ArenaFullError with the figures when the
   * arena cannot hold them.
   */
  alloc(size: number, what: string): number {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`${what}: allocation size ${size}`);
    const blockSize = roundUp(size + BLOCK_HEADER, BLOCK_ALIGN);
    this.lock();
    try {
      const block = this.takeFree(blockSize) || this.bump(blockSize, what);
      const payload = block + BLOCK_HEADER;
      this.u8.fill(0, payload, block + this.u32[block >>> 2]!);
      return payload;
    } finally {
      this.unlock();
    }
  }

  /** Return an allocation made by `alloc` to the free list. */
  free(payload: number): void {
    const block = payload - BLOCK_HEADER;
    this.lock();
    try {
      const u32 = this.u32;
      const head = (CONTROL_BLOCK + ArenaCtl.FREE_HEAD) >>> 2;
      u32[(block + 4) >>> 2] = u32[head]!;
      u32[head] = block;
    } finally {
      this.unlock();
    }
  }

  /** Bytes still available: unallocated space below the maximum plus free blocks. */
  freeBytes(): number {
    let free = this.maxBytes - this.heapEnd;
    const u32 = this.u32;
    for (let b = u32[(CONTROL_BLOCK + ArenaCtl.FREE_HEAD) >>> 2]!; b !== 0; b = u32[(b + 4) >>> 2]!) free += u32[b >>> 2]!;
    return free;
  }

  /**
   * Best fit: the smallest free block that holds `blockSize` (an exact size ends the search). Objects are
   * loaded and deleted again and again with the same map sizes; first fit let a small map split the block a
   * large one had freed, so each reload bumped the heap.
   */
  private takeFree(blockSize: number): number {
    const u32 = this.u32;
    let bestLink = 0;
    let bestSize = 0;
    for (let link = (CONTROL_BLOCK + ArenaCtl.FREE_HEAD) >>> 2, b = u32[link]!; b !== 0; link = (b + 4) >>> 2, b = u32[link]!) {
      const have = u32[b >>> 2]!;
      if (have < blockSize || (bestLink !== 0 && have >= bestSize)) continue;
      bestLink = link;
      bestSize = have;
      if (have === blockSize) break;
    }
    if (bestLink === 0) return 0;
    const b = u32[bestLink]!;
    if (bestSize - blockSize >= 2 * BLOCK_ALIGN) {
      // Split: the tail stays on the free list in this block's place.
      const rest = b + blockSize;
      u32[rest >>> 2] = bestSize - blockSize;
      u32[(rest + 4) >>> 2] = u32[(b + 4) >>> 2]!;
      u32[bestLink] = rest;
      u32[b >>> 2] = blockSize;
    } else {
      u32[bestLink] = u32[(b + 4) >>> 2]!;
    }
    return b;
  }

  private bump(blockSize: number, what: string): number {
    const cursorIdx = (CONTROL_BLOCK + ArenaCtl.CURSOR) >>> 2;
    const block = roundUp(this.u32[cursorIdx]!, BLOCK_ALIGN);
    const end = block + blockSize;
    if (end > this.maxBytes) throw new ArenaFullError(what, blockSize - BLOCK_HEADER, this.freeBytes(), this.maxBytes);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow by at least a quarter of what we have, so that many small allocations do not grow page by page.
      const want = Math.min(this.maxBytes, Math.max(roundUp(end, WASM_PAGE), roundUp(have * 1.25, WASM_PAGE)));
      this.memory.grow((want - have) / WASM_PAGE);
      this.rebuild();
    }
    const u32 = this.u32view;
    u32[block >>> 2] = blockSize;
    u32[(block + 4) >>> 2] = 0;
    Atomics.store(u32, cursorIdx, end);
    return block;
  }

  private lock(): void {
    const idx = (CONTROL_BLOCK + ArenaCtl.LOCK) >>> 2;
    const u32 = this.u32;
    while (Atomics.compareExchange(u32, idx, 0, 1) !== 0) { /* spin: held only for a few list operations */ }
  }

  private unlock(): void {
    Atomics.store(this.u32, (CONTROL_BLOCK + ArenaCtl.LOCK) >>> 2, 0);
  }
}
