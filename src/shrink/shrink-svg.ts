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

export function renderShrinkSvg(r: ShrinkReport): string {
  const labelled = r.gate.labelled;
  // Up is better: the AUC change from the teacher on the student's worst fault type (the gate's measure).
  const quality = (c: CandidateReport) => (labelled ? -c.worstAucDrop : c.quality.falseAlarms);
  const xs = r.candidates.map((c) => c.int8Bytes).concat(r.budget.flashBytes);
  const ys = r.candidates
    .map(quality)
    .concat(labelled ? [-r.gate.maxAucDrop] : [])
    .filter(Number.isFinite);
  const x0 = 0;
  const x1 = Math.max(...xs) * 1.05;
  // AUC spans what was measured (at least 0.01); alert counts start at zero.
  let y0 = labelled ? Math.min(...ys) : 0;
  let y1 = labelled ? Math.max(...ys) : Math.max(4, ...ys);
  if (labelled && y1 - y0 < 0.01) {
    y0 = Math.min(y0, y1 - 0.01);
    y1 = Math.max(y1, y0 + 0.01);
  }
  const pad = (y1 - y0) * 0.08;
  y0 -= labelled ? pad : 0;
  y1 += pad;
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="24" font-size="16">${esc(`Shrinking ${r.teacher.id} for ${r.board}: int8 size against quality`)}</text>`,
    `<text x="${L}" y="42" fill="#555">${esc(labelled ? `AUC change from the teacher on the worst of ${r.gate.faults.join(', ')} (filled: fits and passes)` : 'false machine alerts on the normal data (filled: fits and passes)')}</text>`,
  ];
  // Axes and ticks.
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`);
  out.push(`<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`);
  for (let i = 0; i <= 5; i++) {
    const x = x0 + ((x1 - x0) * i) / 5;
    out.push(`<text x="${px(x)}" y="${H - B + 18}" text-anchor="middle">${Math.round(x)}</text>`);
    const y = y0 + ((y1 - y0) * i) / 5;
    out.push(
      `<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${labelled ? y.toFixed(4) : y.toFixed(1).replace(/\.0$/, '')}</text>`,
    );
    out.push(`<line x1="${L}" y1="${py(y)}" x2="${W - R}" y2="${py(y)}" stroke="#eee"/>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 16}" text-anchor="middle">int8 model bytes</text>`);
  const bx = px(r.budget.flashBytes);
  out.push(`<line x1="${bx}" y1="${T}" x2="${bx}" y2="${H - B}" stroke="#888" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${bx + 4}" y="${T + 12}" fill="#555">${r.board}: ${r.budget.flashBytes} B</text>`);
  if (labelled) {
    const gy = py(-r.gate.maxAucDrop);
    out.push(`<line x1="${L}" y1="${gy}" x2="${W - R}" y2="${gy}" stroke="#888" stroke-dasharray="2 3"/>`);
    out.push(
      `<text x="${W - R - 4}" y="${gy - 4}" text-anchor="end" fill="#555">gate: −${r.gate.maxAucDrop}</text>`,
    );
  }
  // One line per method, points in size order.
  const methods = [...new Set(r.candidates.map((c) => c.method))];
  methods.forEach((m, i) => {
    const pts = r.candidates
      .filter((c) => c.method === m && Number.isFinite(quality(c)))
      .sort((a, b) => a.int8Bytes - b.int8Bytes);
    const color = COLORS[m];
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((c) => `${px(c.int8Bytes)},${py(quality(c))}`).join(' ')}"/>`,
      );
    }
    for (const c of pts) {
      const x = px(c.int8Bytes);
      const y = py(quality(c));
      const fill = c.passes ? color : 'white';
      out.push(
        m === 'teacher'
          ? `<path d="M${x} ${y - 8} L${x + 2.5} ${y - 2.5} L${x + 8} ${y - 2.5} L${x + 3.5} ${y + 1.5} L${x + 5} ${y + 8} L${x} ${y + 4} L${x - 5} ${y + 8} L${x - 3.5} ${y + 1.5} L${x - 8} ${y - 2.5} L${x - 2.5} ${y - 2.5} Z" fill="${color}"/>`
          : `<circle cx="${x}" cy="${y}" r="5" fill="${fill}" stroke="${color}" stroke-width="2"><title>${esc(`${c.name} ${c.method}: ${c.int8Bytes} B, ${c.failures.join('; ') || 'passes'}`)}</title></circle>`,
      );
      out.push(`<text x="${x + 7}" y="${y - 7}" font-size="10" fill="${color}">${esc(c.name)}</text>`);
    }
    out.push(`<circle cx="${W - R + 20}" cy="${T + 20 + i * 20}" r="5" fill="${color}"/>`);
    out.push(`<text x="${W - R + 30}" y="${T + 24 + i * 20}">${esc(m)}</text>`);
  });
  if (r.chosen) {
    out.push(
      `<text x="${W - R + 14}" y="${T + 40 + methods.length * 20}">${esc(`chosen: ${r.chosen.name} ${r.chosen.method}`)}</text>`,
      `<text x="${W - R + 14}" y="${T + 56 + methods.length * 20}">${esc(`${r.chosen.int8Bytes} B`)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
