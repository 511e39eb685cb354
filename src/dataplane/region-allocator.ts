/**
 * First-fit allocator over one contiguous range of the arena that the data plane reserved for itself
 * (frame slots, descriptor rings, counter blocks, loaded captures). The arena's own heap allocator hands the
 * data plane that range once; this sub-allocator keeps the data plane's churn (captures come and go with
 * replays, counter blocks with attachments) out of the map heap.
 */
export class RegionExhaustedError extends Error {
  constructor(readonly requested: number, readonly largestFree: number, readonly regionSize: number) {
    super(`data-plane region exhausted: asked for ${requested} bytes, largest free block ${largestFree} ` +
      `of a ${regionSize}-byte region (raise --arena-size)`);
    this.name = 'RegionExhaustedError';
  }
}

interface FreeBlock { addr: number; size: number }

export class RegionAllocator {
  /** Free blocks sorted by address, coalesced on free. */
  private readonly free: FreeBlock[];
  private readonly sizes = new Map<number, number>();

  constructor(readonly base: number, readonly size: number) {
    this.free = [{ addr: base, size }];
  }

  alloc(size: number, align = 64): number {
    const want = Math.max(1, Math.ceil(size / 64) * 64);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      const start = Math.ceil(b.addr / align) * align;
      const pad = start - b.addr;
      if (b.size < pad + want) continue;
      const tail = b.size - pad - want;
      const replacement: FreeBlock[] = [];
      if (pad > 0) replacement.push({ addr: b.addr, size: pad });
      if (tail > 0) replacement.push({ addr: start + want, size: tail });
      this.free.splice(i, 1, ...replacement);
      this.sizes.set(start, want);
      return start;
    }
    throw new RegionExhaustedError(size, this.free.reduce((m, b) => Math.max(m, b.size), 0), this.size);
  }

  release(addr: number): void {
    const size = this.sizes.get(addr);
    if (size === undefined) throw new Error(`data-plane region: release of unallocated address 0x${addr.toString(16)}`);
    this.sizes.delete(addr);
    let i = 0;
    while (i < this.free.length && this.free[i]!.addr < addr) i++;
    this.free.splice(i, 0, { addr, size });
    // Coalesce with the following, then the preceding neighbour.
    const next = this.free[i + 1];
    if (next && addr + size === next.addr) { this.free[i]!.size += next.size; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.addr + prev.size === addr) { prev.size += this.free[i]!.size; this.free.splice(i, 1); }
  }

  get bytesFree(): number { return this.free.reduce((s, b) => s + b.size, 0); }
}
