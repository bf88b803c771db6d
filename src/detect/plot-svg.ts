// A run as a picture (SVG, no dependencies): each signal on top, the anomaly score below it with its
// threshold, labelled anomaly windows shaded and alerts marked, on one real time axis.

export interface RunPlot {
  title: string;
  /** Time of each row, epoch ms (or seconds from the start when `epoch` is false). */
  times: ArrayLike<number>;
  epoch: boolean;
  signals: { name: string; values: ArrayLike<number> }[];
  score: { name: string; values: ArrayLike<number>; threshold: number };
  /** Labelled windows [start, end] in the same unit as `times`. */
  windows?: ReadonlyArray<readonly [number, number]>;
  /** Times of raised alerts. */
  alerts: number[];
  /** End of the learning period (no verdicts before it), same unit as `times`. */
  learningUntil?: number;
}

const W = 1200;
const PANEL_H = 220;
const LEFT = 70;
const RIGHT = 20;
const TOP = 56;
const GAP = 40;
const MAX_POINTS = 1500;

export function renderRunSvg(p: RunPlot): string {
  const n = p.times.length;
  const t0 = p.times[0] ?? 0;
  const t1 = p.times[n - 1] ?? 1;
  const x = (t: number) => LEFT + ((t - t0) / Math.max(t1 - t0, 1e-9)) * (W - LEFT - RIGHT);
  const panels = [
    ...p.signals.map((s) => ({ name: s.name, values: s.values, line: null as number | null })),
    {
      name: p.score.name,
      values: p.score.values,
      line: p.score.threshold,
    },
  ];
  const H = TOP + panels.length * (PANEL_H + GAP) + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(p.title)}</text>`,
  ];
  panels.forEach((panel, k) => {
    const top = TOP + k * (PANEL_H + GAP);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const v = panel.values[i]!;
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (panel.line !== null) hi = Math.max(hi, panel.line * 1.1);
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    const y = (v: number) => top + PANEL_H - ((v - lo) / (hi - lo)) * PANEL_H;
    out.push(
      `<rect x="${LEFT}" y="${top}" width="${W - LEFT - RIGHT}" height="${PANEL_H}" fill="none" stroke="#ccc"/>`,
    );
    if (p.learningUntil !== undefined) {
      out.push(
        `<rect x="${LEFT}" y="${top}" width="${Math.max(0, x(p.learningUntil) - LEFT).toFixed(1)}" height="${PANEL_H}" fill="#888" fill-opacity="0.12"/>`,
      );
    }
    for (const [a, b] of p.windows ?? []) {
      out.push(
        `<rect x="${x(a).toFixed(1)}" y="${top}" width="${Math.max(1, x(b) - x(a)).toFixed(1)}" height="${PANEL_H}" fill="#f6c343" fill-opacity="0.3"/>`,
      );
    }
    out.push(
      `<polyline fill="none" stroke="#2f6fb0" stroke-width="1" points="${polyline(p.times, panel.values, x, y)}"/>`,
    );
    if (panel.line !== null) {
      out.push(
        `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(panel.line).toFixed(1)}" y2="${y(panel.line).toFixed(1)}" stroke="#c0392b" stroke-dasharray="6 4"/>`,
      );
    }
    for (const a of p.alerts) {
      out.push(
        `<line x1="${x(a).toFixed(1)}" x2="${x(a).toFixed(1)}" y1="${top}" y2="${top + PANEL_H}" stroke="#c0392b" stroke-width="1.5"/>`,
      );
    }
    out.push(`<text x="${LEFT}" y="${top - 6}" font-weight="bold">${esc(panel.name)}</text>`);
    out.push(`<text x="${LEFT - 6}" y="${top + 10}" text-anchor="end">${fmt(hi)}</text>`);
    out.push(`<text x="${LEFT - 6}" y="${top + PANEL_H}" text-anchor="end">${fmt(lo)}</text>`);
  });
  const axisY = TOP + panels.length * (PANEL_H + GAP) - GAP + 16;
  for (let k = 0; k <= 6; k++) {
    const t = t0 + ((t1 - t0) * k) / 6;
    const label = p.epoch ? new Date(t).toISOString().slice(0, 16).replace('T', ' ') : `${fmt(t)} s`;
    out.push(`<text x="${x(t).toFixed(1)}" y="${axisY}" text-anchor="middle">${label}</text>`);
  }
  out.push(
    `<text x="${W - RIGHT}" y="${H - 8}" text-anchor="end" fill="#555">grey: learning · yellow: labelled windows · red lines: alerts · dashed: threshold</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// Min/max per pixel bucket, so spikes survive the thinning of a long series.
function polyline(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  const n = times.length;
  const step = Math.max(1, Math.ceil(n / MAX_POINTS));
  const pts: string[] = [];
  for (let i = 0; i < n; i += step) {
    let lo = i;
    let hi = i;
    for (let j = i; j < Math.min(n, i + step); j++) {
      if (values[j]! < values[lo]!) lo = j;
      if (values[j]! > values[hi]!) hi = j;
    }
    for (const j of lo < hi ? [lo, hi] : [hi, lo]) {
      const v = values[j]!;
      if (Number.isFinite(v)) pts.push(`${x(times[j]!).toFixed(1)},${y(v).toFixed(1)}`);
    }
  }
  return pts.join(' ');
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(2);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
