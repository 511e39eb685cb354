/**
 * The suite's chart, written as SVG text here (no plotting dependency): one panel per capture, one row per
 * program, two horizontal bars per row — ours (JIT) and the kernel — each split into its XDP_PASS floor
 * (light) and the program's marginal cost on top of it (dark), with the marginal ratio printed at the right.
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
const PANEL_HEAD = 44;
const COLORS = {
  oursFloor: '#9ecae1', oursMarginal: '#2171b5', kernelFloor: '#fdae6b', kernelMarginal: '#d94801', text: '#222', grid: '#ddd',
} as const;

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const num = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

/** A "nice" axis maximum (1, 2 or 5 × 10^k) at or above `x`. */
function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function bar(x0: number, y: number, scale: number, b: ChartBar, floorColor: string, marginalColor: string, plotW: number): string {
  const total = Number.isFinite(b.nsPerPacket) ? Math.max(0, b.nsPerPacket) : 0;
  const floor = Number.isFinite(b.floorNsPerPacket) ? Math.min(total, Math.max(0, b.floorNsPerPacket)) : 0;
  const wFloor = Math.min(plotW, floor * scale);
  const wTotal = Math.min(plotW, total * scale);
  const clipped = total * scale > plotW;
  return [
    `<rect x="${num(x0)}" y="${num(y)}" width="${num(wFloor)}" height="${BAR_H}" fill="${floorColor}"/>`,
    `<rect x="${num(x0 + wFloor)}" y="${num(y)}" width="${num(Math.max(0, wTotal - wFloor))}" height="${BAR_H}" fill="${marginalColor}"/>`,
    `<text x="${num(x0 + wTotal + 3)}" y="${num(y + BAR_H - 1)}" font-size="8" fill="${COLORS.text}">${xmlEscape(Number.isFinite(b.nsPerPacket) ? `${b.nsPerPacket.toFixed(1)}${clipped ? ' ▸' : ''}` : '–')}</text>`,
  ].join('');
}

function ratioText(r: ChartRow): string {
  const f = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
  return r.kernel ? `e2e ${f(r.endToEndRatio)}  marg ${f(r.marginalRatio)}` : 'no kernel figure';
}

/** The whole SVG document. */
export function renderChart(title: string, panels: readonly ChartPanel[]): string {
  const plotX = LABEL_W;
  const plotW = WIDTH - LABEL_W - RATIO_W - 40;
  const parts: string[] = [];
  let y = 40;
  for (const panel of panels) {
    // Scale on the rows' 90th percentile so one slow program does not flatten all others (longer bars are clipped, marked ▸).
    const totals = panel.rows.flatMap((r) => [r.ours.nsPerPacket, r.kernel?.nsPerPacket ?? 0]).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const p90 = totals[Math.min(totals.length - 1, Math.floor(totals.length * 0.9))] ?? 1;
    const axisMax = niceMax(p90);
    const scale = plotW / axisMax;
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold" fill="${COLORS.text}">${xmlEscape(panel.title)}</text>`);
    const top = y + PANEL_HEAD - 20;
    const height = panel.rows.length * ROW_H;
    for (let t = 0; t <= 5; t++) {
      const gx = plotX + (plotW * t) / 5;
      parts.push(`<line x1="${num(gx)}" y1="${top}" x2="${num(gx)}" y2="${top + height + 4}" stroke="${COLORS.grid}"/>`);
      parts.push(`<text x="${num(gx)}" y="${top - 4}" font-size="8" text-anchor="middle" fill="${COLORS.text}">${num((axisMax * t) / 5)} ns</text>`);
    }
    panel.rows.forEach((r, i) => {
      const ry = top + 4 + i * ROW_H;
      parts.push(`<text x="${LABEL_W - 6}" y="${ry + BAR_H + 3}" font-size="10" text-anchor="end" fill="${COLORS.text}">${xmlEscape(r.label)}</text>`);
      parts.push(bar(plotX, ry, scale, r.ours, COLORS.oursFloor, COLORS.oursMarginal, plotW));
      if (r.kernel) parts.push(bar(plotX, ry + BAR_H + 1, scale, r.kernel, COLORS.kernelFloor, COLORS.kernelMarginal, plotW));
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
