/**
 * Program events for `GET /v1/events` (design.md §6): ring buffer records, perf event output, trace_printk
 * lines. Subscribers are SSE streams; a slow subscriber loses its oldest queued events rather than growing
 * the daemon's memory without bound.
 */
export interface ProgramEvent {
  readonly type: 'ringbuf' | 'perf' | 'trace';
  readonly program: string;
  readonly map?: string;
  readonly cpu: number;
  /** Nanoseconds (the program's clock when it emitted the event). */
  readonly ts: number;
  /** Hex bytes for ringbuf/perf, text for trace. */
  readonly data: string;
}

export type EventListener = (e: ProgramEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => { this.listeners.delete(l); };
  }

  publish(e: ProgramEvent): void {
    for (const l of this.listeners) l(e);
  }

  get subscribers(): number { return this.listeners.size; }
}
