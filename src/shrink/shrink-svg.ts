import type { CandidateReport, ShrinkReport } from './shrink.js';

// Size against quality as a picture (SVG, no dependencies): one line per way of making students, the
// teacher as a star, the board's budget as a vertical line; passing candidates filled, failing hollow.

const W = 900;
const H = 520;
const L = 80;
const R = 200;
const T = 60;
const B = 60;
const COLORS: Record<CandidateReport['method'], string> = {
  teacher: '#000000',
  pruned: '#1f77b4',
  'pruned+distilled': '#d62728',
  fresh: '#2ca02c',
  'fresh+distilled': '#ff7f0e',
};

/** One candidate on the picture: its int8 size and its quality (up is better). */
export interface PlotPoint {
  name: string;
  method: CandidateReport['method'];
  bytes: number;
  y: number;
  passes: boolean;
  failures: string[];
}

export interface SizeQualityPlot {
  title: string;
  subtitle: string;
  board: string;
  budgetBytes: number;
  /** The gate as a horizontal line, if it is one value on the y axis. */
  gate: { y: number; label: string } | null;
  /** Whether y starts at zero (counts) or spans what was measured, at least `minSpan`. */
  fromZero: boolean;
  minSpan: number;
  decimals: number;
  points: PlotPoint[];
  chosen: { name: string; method: string; bytes: number } | null;
}

export function renderShrinkSvg(r: ShrinkReport): string {
  const labelled = r.gate.labelled;
  // Up is better: the AUC change from the teacher on the student's worst fault type (the gate's measure).
  return renderSizeQualitySvg({
    title: `Shrinking ${r.teacher.id} for ${r.board}: int8 size against quality`,
    subtitle: labelled
      ? `AUC change from the teacher on the worst of ${r.gate.faults.join(', ')} (filled: fits and passes)`
      : 'false machine alerts on the normal data (filled: fits and passes)',
    board: r.board,
    budgetBytes: r.budget.flashBytes,
    gate: labelled ? { y: -r.gate.maxAucDrop, label: `gate: −${r.gate.maxAucDrop}` } : null,
    fromZero: !labelled,
    minSpan: labelled ? 0.01 : 4,
    decimals: labelled ? 4 : 0,
    points: r.candidates.map((c) => ({
      name: c.name,
      method: c.method,
      bytes: c.int8Bytes,
      y: labelled ? -c.worstAucDrop : c.quality.falseAlarms,
      passes: c.passes,
      failures: c.failures,
    })),
    chosen: r.chosen ? { name: r.chosen.name, method: r.chosen.method, bytes: r.chosen.int8Bytes } : null,
  });
}

export function renderSizeQualitySvg(p: SizeQualityPlot): string {
  const xs = p.points.map((c) => c.bytes).concat(p.budgetBytes);
  const ys = p.points
    .map((c) => c.y)
    .concat(p.gate ? [p.gate.y] : [])
    .filter(Number.isFinite);
  const x0 = 0;
  const x1 = Math.max(...xs) * 1.05;
  let y0 = p.fromZero ? 0 : Math.min(...ys);
  let y1 = p.fromZero ? Math.max(p.minSpan, ...ys) : Math.max(...ys);
  if (!p.fromZero && y1 - y0 < p.minSpan) {
    y0 = Math.min(y0, y1 - p.minSpan);
    y1 = Math.max(y1, y0 + p.minSpan);
  }
  const pad = (y1 - y0) * 0.08;
  y0 -= p.fromZero ? 0 : pad;
  y1 += pad;
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="24" font-size="16">${esc(p.title)}</text>`,
    `<text x="${L}" y="42" fill="#555">${esc(p.subtitle)}</text>`,
  ];
  // Axes and ticks.
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`);
  out.push(`<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`);
  for (let i = 0; i <= 5; i++) {
    const x = x0 + ((x1 - x0) * i) / 5;
    out.push(`<text x="${px(x)}" y="${H - B + 18}" text-anchor="middle">${Math.round(x)}</text>`);
    const y = y0 + ((y1 - y0) * i) / 5;
    const label = p.decimals ? y.toFixed(p.decimals) : y.toFixed(1).replace(/\.0$/, '');
    out.push(`<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${label}</text>`);
    out.push(`<line x1="${L}" y1="${py(y)}" x2="${W - R}" y2="${py(y)}" stroke="#eee"/>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 16}" text-anchor="middle">int8 model bytes</text>`);
  const bx = px(p.budgetBytes);
  out.push(`<line x1="${bx}" y1="${T}" x2="${bx}" y2="${H - B}" stroke="#888" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${bx + 4}" y="${T + 12}" fill="#555">${esc(p.board)}: ${p.budgetBytes} B</text>`);
  if (p.gate) {
    const gy = py(p.gate.y);
    out.push(`<line x1="${L}" y1="${gy}" x2="${W - R}" y2="${gy}" stroke="#888" stroke-dasharray="2 3"/>`);
    out.push(
      `<text x="${W - R - 4}" y="${gy - 4}" text-anchor="end" fill="#555">${esc(p.gate.label)}</text>`,
    );
  }
  // One line per method, points in size order.
  const methods = [...new Set(p.points.map((c) => c.method))];
  methods.forEach((m, i) => {
    const pts = p.points
      .filter((c) => c.method === m && Number.isFinite(c.y))
      .sort((a, b) => a.bytes - b.bytes);
    const color = COLORS[m];
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((c) => `${px(c.bytes)},${py(c.y)}`).join(' ')}"/>`,
      );
    }
    for (const c of pts) {
      const x = px(c.bytes);
      const y = py(c.y);
      const fill = c.passes ? color : 'white';
      out.push(
        m === 'teacher'
          ? `<path d="M${x} ${y - 8} L${x + 2.5} ${y - 2.5} L${x + 8} ${y - 2.5} L${x + 3.5} ${y + 1.5} L${x + 5} ${y + 8} L${x} ${y + 4} L${x - 5} ${y + 8} L${x - 3.5} ${y + 1.5} L${x - 8} ${y - 2.5} L${x - 2.5} ${y - 2.5} Z" fill="${color}"/>`
          : `<circle cx="${x}" cy="${y}" r="5" fill="${fill}" stroke="${color}" stroke-width="2"><title>${esc(`${c.name} ${c.method}: ${c.bytes} B, ${c.failures.join('; ') || 'passes'}`)}</title></circle>`,
      );
      out.push(`<text x="${x + 7}" y="${y - 7}" font-size="10" fill="${color}">${esc(c.name)}</text>`);
    }
    out.push(`<circle cx="${W - R + 20}" cy="${T + 20 + i * 20}" r="5" fill="${color}"/>`);
    out.push(`<text x="${W - R + 30}" y="${T + 24 + i * 20}">${esc(m)}</text>`);
  });
  if (p.chosen) {
    out.push(
      `<text x="${W - R + 14}" y="${T + 40 + methods.length * 20}">${esc(`chosen: ${p.chosen.name}`)}</text>`,
      `<text x="${W - R + 14}" y="${T + 56 + methods.length * 20}">${esc(`${p.chosen.method}, ${p.chosen.bytes} B`)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
