/**
 * The suite's chart, written as SVG text here (no plotting dependency): one panel per capture, one row per
 * program, two horizontal bars per row — ours (JIT) and the kernel — each split into its XDP_PASS floor
 * (light) and the program's marginal cost on top of it (dark), with the ratios printed at the right. The
 * axis is logarithmic: the programs span from a few ns to tens of µs per packet.
 */

export interface ChartBar {
  readonly nsPerPacket: number;
  readonly floorNsPerPacket: number;
}

export interface ChartRow {
  readonly label: string;
  readonly ours: ChartBar;
  /** Absent when the kernel gave no figure for this row. */
  readonly kernel?: ChartBar;
  /** Marginal ratio ours/kernel, printed beside the bars. */
  readonly marginalRatio?: number | null;
  readonly endToEndRatio?: number | null;
}

export interface ChartPanel {
  readonly title: string;
  readonly rows: readonly ChartRow[];
}

const WIDTH = 960;
const LABEL_W = 170;
const RATIO_W = 150;
const BAR_H = 9;
const ROW_H = 2 * BAR_H + 8;
const PANEL_HEAD = 34;
const COLORS = {
  oursFloor: '#9ecae1', oursMarginal: '#2171b5', kernelFloor: '#fdae6b', kernelMarginal: '#d94801', text: '#222', grid: '#ddd',
} as const;

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const num = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

/** The decade range [10^lo, 10^hi] holding every positive figure. */
function decades(values: readonly number[]): { lo: number; hi: number } {
  const pos = values.filter((x) => Number.isFinite(x) && x > 0);
  if (pos.length === 0) return { lo: 0, hi: 1 };
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...pos))));
  return { lo, hi };
}

function bar(at: (v: number) => number, y: number, b: ChartBar, floorColor: string, marginalColor: string): string {
  const total = Number.isFinite(b.nsPerPacket) ? Math.max(0, b.nsPerPacket) : 0;
  const floor = Number.isFinite(b.floorNsPerPacket) ? Math.min(total, Math.max(0, b.floorNsPerPacket)) : 0;
  const x0 = at(0);
  const xFloor = at(floor);
  const xTotal = at(total);
  return [
    `<rect x="${num(x0)}" y="${num(y)}" width="${num(xFloor - x0)}" height="${BAR_H}" fill="${floorColor}"/>`,
    `<rect x="${num(xFloor)}" y="${num(y)}" width="${num(Math.max(0, xTotal - xFloor))}" height="${BAR_H}" fill="${marginalColor}"/>`,
    `<text x="${num(xTotal + 3)}" y="${num(y + BAR_H - 1)}" font-size="8" fill="${COLORS.text}">${xmlEscape(Number.isFinite(b.nsPerPacket) ? b.nsPerPacket.toFixed(1) : '–')}</text>`,
  ].join('');
}

const decadeLabel = (e: number): string => (e >= 3 ? `${10 ** (e - 3)} µs` : `${10 ** e} ns`);

function ratioText(r: ChartRow): string {
  const f = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
  return r.kernel ? `e2e ${f(r.endToEndRatio)}  marg ${f(r.marginalRatio)}` : 'no kernel figure';
}

/** The whole SVG document; `subtitle` lines go under the title. */
export function renderChart(title: string, panels: readonly ChartPanel[], subtitle: readonly string[] = []): string {
  const plotX = LABEL_W;
  const plotW = WIDTH - LABEL_W - RATIO_W - 40;
  const parts: string[] = [];
  subtitle.forEach((line, i) => parts.push(`<text x="10" y="${40 + 14 * i}" font-size="10" fill="${COLORS.text}">${xmlEscape(line)}</text>`));
  let y = 40 + 14 * subtitle.length;
  for (const panel of panels) {
    const { lo, hi } = decades(panel.rows.flatMap((r) => [r.ours.nsPerPacket, r.ours.floorNsPerPacket, r.kernel?.nsPerPacket ?? 0, r.kernel?.floorNsPerPacket ?? 0]));
    const at = (v: number): number => (v <= 10 ** lo ? plotX : plotX + (plotW * (Math.log10(v) - lo)) / (hi - lo));
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold" fill="${COLORS.text}">${xmlEscape(panel.title)}</text>`);
    const top = y + PANEL_HEAD;
    const height = panel.rows.length * ROW_H;
    for (let e = lo; e <= hi; e++) {
      const gx = at(10 ** e);
      parts.push(`<line x1="${num(gx)}" y1="${top}" x2="${num(gx)}" y2="${top + height + 4}" stroke="${COLORS.grid}"/>`);
      parts.push(`<text x="${num(gx)}" y="${top - 4}" font-size="8" text-anchor="middle" fill="${COLORS.text}">${xmlEscape(decadeLabel(e))}</text>`);
    }
    panel.rows.forEach((r, i) => {
      const ry = top + 4 + i * ROW_H;
      parts.push(`<text x="${LABEL_W - 6}" y="${ry + BAR_H + 3}" font-size="10" text-anchor="end" fill="${COLORS.text}">${xmlEscape(r.label)}</text>`);
      parts.push(bar(at, ry, r.ours, COLORS.oursFloor, COLORS.oursMarginal));
      if (r.kernel) parts.push(bar(at, ry + BAR_H + 1, r.kernel, COLORS.kernelFloor, COLORS.kernelMarginal));
      parts.push(`<text x="${WIDTH - RATIO_W}" y="${ry + BAR_H + 3}" font-size="9" fill="${COLORS.text}">${xmlEscape(ratioText(r))}</text>`);
    });
    y = top + height + 24;
  }
  const legend = [
    [COLORS.oursFloor, 'xdpjit JIT: XDP_PASS floor'], [COLORS.oursMarginal, 'xdpjit JIT: marginal'],
    [COLORS.kernelFloor, 'kernel: XDP_PASS floor'], [COLORS.kernelMarginal, 'kernel: marginal'],
  ] as const;
  legend.forEach(([color, text], i) => {
    const lx = 10 + i * 200;
    parts.push(`<rect x="${lx}" y="${y}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${y + 9}" font-size="10" fill="${COLORS.text}">${xmlEscape(text)}</text>`);
  });
  const height = y + 24;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${xmlEscape(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
