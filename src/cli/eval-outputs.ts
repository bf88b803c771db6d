// What `tinygate eval --scores` and `--plot` write: every window's scores as CSV, and the run as SVG.
import { writeFileSync } from 'node:fs';
import type { EvalReport, WindowScorer, WindowSet } from '../detect/index.js';
import { renderRunSvg } from '../detect/plot-svg.js';
import type { Recording } from '../sensing/recording.js';

// Window times are ms from the recording's start: real times when the data has timestamps.
const timeOf = (rec: Recording, ms: number) =>
  rec.startEpochMs !== undefined ? new Date(rec.startEpochMs + ms).toISOString() : String(ms / 1000);

export function writeEvalScores(
  path: string,
  rec: Recording,
  set: WindowSet,
  scorers: WindowScorer[],
  scores: Float32Array[],
): void {
  const head = ['end', 'fault', 'severity', 'sensor_check'];
  for (const s of scorers) head.push(`${s.kind}_score`, `${s.kind}_threshold`, `${s.kind}_verdict`);
  const lines = [head.join(',')];
  for (let w = 0; w < set.features.length; w++) {
    const flagged = set.verdicts[w];
    const row = [
      timeOf(rec, set.end[w]!),
      set.fault[w]!,
      String(set.severity[w]),
      flagged ? flagged.fault : 'ok',
    ];
    scorers.forEach((s, i) => {
      const v = scores[i]![w]!;
      row.push(
        v.toPrecision(6),
        s.threshold.toPrecision(6),
        flagged ? 'sensor' : v > s.threshold ? 'above' : 'below',
      );
    });
    lines.push(row.join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

export function writeEvalPlot(
  path: string,
  data: string,
  rec: Recording,
  set: WindowSet,
  result: EvalReport,
  scores: Float32Array,
): void {
  const epoch = rec.startEpochMs !== undefined;
  const at = (ms: number) => (epoch ? rec.startEpochMs! + ms : ms / 1000);
  const first = result.scorers[0]!;
  const channel = set.pipeline.channels[0]!.name;
  const col = rec.columns.get(channel)!;
  // At most ~20,000 points of the signal; the plot thins further per pixel.
  const step = Math.max(1, Math.floor(col.length / 20_000));
  const rows = Array.from({ length: Math.ceil(col.length / step) }, (_, k) => k * step);
  const labelled: Array<[number, number]> = [];
  for (let w = 0; w < set.features.length; w++) {
    if (set.severity[w]! <= 0) continue;
    const last = labelled[labelled.length - 1];
    if (last && at(set.start[w]!) <= last[1]) last[1] = at(set.end[w]!);
    else labelled.push([at(set.start[w]!), at(set.end[w]!)]);
  }
  const score = new Float64Array(rows.length);
  let w = 0;
  rows.forEach((i, k) => {
    while (w + 1 < set.features.length && set.end[w]! < rec.t[i]! * 1000) w++;
    score[k] = scores[w] ?? 0;
  });
  writeFileSync(
    path,
    renderRunSvg({
      title: `tinygate eval ${data}: ${first.scorer} scorer, ${first.alerts.machine} machine alerts`,
      times: Float64Array.from(rows, (i) => at(rec.t[i]! * 1000)),
      epoch,
      signals: [{ name: channel, values: Float64Array.from(rows, (i) => col[i]!) }],
      score: { name: `${first.scorer} score`, values: score, threshold: first.threshold },
      windows: labelled,
      alerts: first.alerts.all.filter((a) => a.kind === 'machine').map((a) => at(a.window.end)),
    }),
  );
}
