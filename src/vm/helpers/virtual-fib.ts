/**
 * The virtual FIB bpf_fib_lookup answers from (issue 3; the daemon can hand one to the runtime, `xdpjit run`
 * may read one from a JSON file): routes, neighbours and devices, looked up as the kernel's
 * bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup (net/core/filter.c) do against the main table. Without one the
 * runtime keeps the host-less default of net.ts (forwarding off, no routes).
 *
 * JSON shape (every field optional except where noted):
 * ```
 * { "forwarding": true,                      // default for devices that do not say (sysctl ip_forward)
 *   "devices":    [{ "ifindex": 1, "mac": "02:00:00:00:00:01", "mtu": 1500, "forwarding": true,
 *                    "ipv4": "10.0.0.1", "ipv6": "fd00::1" }],          // ifindex and mac required
 *   "routes":     [{ "prefix": "10.1.0.0/16", "ifindex": 2, "gateway": "10.0.0.254", "mtu": 1400,
 *                    "type": "unicast" | "blackhole" | "unreachable" | "prohibit", "table": 254,
 *                    "src": "10.0.0.1" }],                             // prefix required; ifindex for unicast
 *   "neighbours": [{ "ip": "10.0.0.254", "mac": "02:00:00:00:00:fe", "ifindex": 2 }] }
 * ```
 */

export const FibRet = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6,
  NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;

/** RT_TABLE_MAIN: the table BPF_FIB_LOOKUP_DIRECT uses unless BPF_FIB_LOOKUP_TBID names another. */
export const RT_TABLE_MAIN = 254;

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface FibDevice {
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly forwarding: boolean;
  readonly ipv4?: Uint8Array;
  readonly ipv6?: Uint8Array;
}

export interface FibRoute {
  /** Address bytes (4 or 16) and prefix length. */
  readonly addr: Uint8Array;
  readonly prefixLen: number;
  readonly type: RouteType;
  readonly ifindex: number;
  readonly gateway?: Uint8Array;
  readonly mtu?: number;
  readonly table: number;
  readonly src?: Uint8Array;
}

export interface FibNeighbour {
  readonly ip: Uint8Array;
  readonly mac: Uint8Array;
  readonly ifindex?: number;
}

/** A malformed FIB configuration: where (JSON path) and what. */
export class FibConfigError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`FIB config ${path}: ${reason}`);
    this.name = 'FibConfigError';
  }
}

function parseIpv4(s: string, path: string): Uint8Array {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new FibConfigError(path, `'${s}' is not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(s: string, path: string): Uint8Array {
  const halves = s.split('::');
  if (halves.length > 2) throw new FibConfigError(path, `'${s}' is not an IPv6 address`);
  const groups = (h: string): number[] => (h === '' ? [] : h.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new FibConfigError(path, `'${s}' is not an IPv6 address`);
    return parseInt(g, 16);
  }));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) throw new FibConfigError(path, `'${s}' is not an IPv6 address`);
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

export function parseIp(s: unknown, path: string): Uint8Array {
  if (typeof s !== 'string') throw new FibConfigError(path, 'expected an address string');
  return s.includes(':') ? parseIpv6(s, path) : parseIpv4(s, path);
}

function parseMac(s: unknown, path: string): Uint8Array {
  if (typeof s !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(s)) throw new FibConfigError(path, 'expected a MAC address aa:bb:cc:dd:ee:ff');
  return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
}

function uint(v: unknown, path: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new FibConfigError(path, 'expected an unsigned 32-bit integer');
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new FibConfigError(path, 'expected an array');
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FibConfigError(path, 'expected an object');
  return v as Record<string, unknown>;
}

const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'blackhole', 'unreachable', 'prohibit'];
/** Linux's default device MTU (ETH_DATA_LEN). */
const DEFAULT_MTU = 1500;

export class VirtualFib {
  private constructor(
    readonly devices: ReadonlyMap<number, FibDevice>,
    readonly routes: readonly FibRoute[],
    readonly neighbours: readonly FibNeighbour[],
  ) {}

  /** Parse the JSON configuration (already JSON.parse'd); throws FibConfigError naming the bad field. */
  static parse(json: unknown): VirtualFib {
    const root = obj(json, '$');
    const forwarding = root.forwarding === undefined ? true : root.forwarding === true;
    const devices = new Map<number, FibDevice>();
    list(root.devices, '$.devices').forEach((d, i) => {
      const p = `$.devices[${i}]`;
      const o = obj(d, p);
      const dev: FibDevice = {
        ifindex: uint(o.ifindex, `${p}.ifindex`), mac: parseMac(o.mac, `${p}.mac`), mtu: uint(o.mtu, `${p}.mtu`, DEFAULT_MTU),
        forwarding: o.forwarding === undefined ? forwarding : o.forwarding === true,
        ...(o.ipv4 !== undefined ? { ipv4: parseIp(o.ipv4, `${p}.ipv4`) } : {}),
        ...(o.ipv6 !== undefined ? { ipv6: parseIp(o.ipv6, `${p}.ipv6`) } : {}),
      };
      devices.set(dev.ifindex, Object.freeze(dev));
    });
    const routes = list(root.routes, '$.routes').map((r, i): FibRoute => {
      const p = `$.routes[${i}]`;
      const o = obj(r, p);
      if (typeof o.prefix !== 'string' || !o.prefix.includes('/')) throw new FibConfigError(`${p}.prefix`, 'expected ADDRESS/LENGTH');
      const [a, l] = o.prefix.split('/') as [string, string];
      const addr = parseIp(a, `${p}.prefix`);
      const prefixLen = Number(l);
      if (!/^\d+$/.test(l) || prefixLen > addr.length * 8) throw new FibConfigError(`${p}.prefix`, `bad prefix length '${l}'`);
      const type = (o.type ?? 'unicast') as RouteType;
      if (!ROUTE_TYPES.includes(type)) throw new FibConfigError(`${p}.type`, `expected one of ${ROUTE_TYPES.join(', ')}`);
      const ifindex = type === 'unicast' ? uint(o.ifindex, `${p}.ifindex`) : uint(o.ifindex, `${p}.ifindex`, 0);
      if (type === 'unicast' && !devices.has(ifindex)) throw new FibConfigError(`${p}.ifindex`, `no device with ifindex ${ifindex}`);
      return Object.freeze({
        addr, prefixLen, type, ifindex, table: uint(o.table, `${p}.table`, RT_TABLE_MAIN),
        ...(o.gateway !== undefined ? { gateway: parseIp(o.gateway, `${p}.gateway`) } : {}),
        ...(o.mtu !== undefined ? { mtu: uint(o.mtu, `${p}.mtu`) } : {}),
        ...(o.src !== undefined ? { src: parseIp(o.src, `${p}.src`) } : {}),
      });
    });
    const neighbours = list(root.neighbours, '$.neighbours').map((n, i): FibNeighbour => {
      const p = `$.neighbours[${i}]`;
      const o = obj(n, p);
      return Object.freeze({
        ip: parseIp(o.ip, `${p}.ip`), mac: parseMac(o.mac, `${p}.mac`),
        ...(o.ifindex !== undefined ? { ifindex: uint(o.ifindex, `${p}.ifindex`) } : {}),
      });
    });
    return new VirtualFib(devices, Object.freeze(routes), Object.freeze(neighbours));
  }

  /** The longest matching route of `table` for `dst` (4 or 16 bytes), as fib_table_lookup / fib6_lookup. */
  route(dst: Uint8Array, table: number): FibRoute | undefined {
    let best: FibRoute | undefined;
    for (const r of this.routes) {
      if (r.table !== table || r.addr.length !== dst.length || (best && best.prefixLen >= r.prefixLen)) continue;
      if (prefixMatches(r.addr, dst, r.prefixLen)) best = r;
    }
    return best;
  }

  neighbour(ip: Uint8Array, ifindex: number): FibNeighbour | undefined {
    return this.neighbours.find((n) => (n.ifindex === undefined || n.ifindex === ifindex) && equalBytes(n.ip, ip));
  }
}

function prefixMatches(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >>> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[full]! ^ b[full]!) & mask) === 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
