import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import { table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface DetectOptions extends JsonFlag {
  columns?: string[];
  learn: string;
  threshold: string;
  hold: string;
  autoencoder?: 'float' | 'int8';
  scores?: string;
  plot?: string;
  labels?: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400, w: 604_800 };

/** "90s", "15m", "12h", "3d", "2w" → seconds. */
export function parseSpan(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$/.exec(text.trim());
  if (!m) {
    throw new TinygateError('BAD_OPTION', `${flag} ${text}: not a duration`, {
      hint: `Give a number with a unit: s, m, h, d or w (e.g. ${flag} 3d).`,
    });
  }
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** "0.006/window" or "1/day" → the detector's threshold. */
export function parseRate(text: string): { perWindow: number } | { perDay: number } {
  const m = /^(\d+(?:\.\d+)?(?:e-?\d+)?)\s*\/\s*(window|day)$/.exec(text.trim());
  const v = m ? Number(m[1]) : Number.NaN;
  if (!m || !(v > 0) || (m[2] === 'window' && v >= 1)) {
    throw new TinygateError('BAD_OPTION', `--threshold ${text}: not a false-alarm rate`, {
      hint: 'Give false alarms per window (0 < p < 1, e.g. 0.006/window) or per day of normal data (e.g. 1/day).',
    });
  }
  return m[2] === 'window' ? { perWindow: v } : { perDay: v };
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description(
      'run the online detector over a timestamped CSV (any rate, NAB files as they are): it learns on the first part, then flags what is unusual, never looking ahead',
    )
    .argument(
      '<csv>',
      'a header row with a time column (timestamp: ISO-8601 or epoch; or t: seconds), then one row per time',
    )
    .option('--columns <names...>', 'value columns to watch (default: every numeric column)')
    .option(
      '--learn <span>',
      'learning period: a share of the rows (15%), a duration (3d, 12h) or a row count (500)',
      '15%',
    )
    .option(
      '--threshold <rate>',
      'false-alarm rate: per window (0.006/window) or per day of normal data (1/day)',
      '0.006/window',
    )
    .option('--hold <duration>', 'no new alarm this soon after the last (unless a decade more unusual)', '1d')
    .option(
      '--autoencoder <arithmetic>',
      'add an autoencoder as model of normal: float (tfjs) or int8 (TFLite)',
    )
    .option('--scores <out.csv>', 'write every row: time, values, surprise, threshold, verdict, alarm')
    .option('--plot <out.svg>', 'draw the run: signals, surprise and threshold, labelled windows, alarms')
    .option(
      '--labels <windows.json>',
      'NAB-style labelled windows ({ "<category>/<file>": [[start, end], ...] }); the file\'s entry is found by its name',
    )
    .option('--json', 'print one JSON document')
    .action(
      action(async (csv: string, opts: DetectOptions) => {
        const { readRecording } = await import('../sensing/recording.js');
        const { runOverSeries, SLOW_SIGNAL_DEFAULTS, formatPeriod } = await import(
          '../detect/online/index.js'
        );
        const { formatSpan: human } = await import('../detect/dataset.js');
        const rec = readRecording(csv);
        const names = opts.columns ?? [...rec.columns.keys()];
        const channels = names.map((name) => {
          const values = rec.columns.get(name);
          if (!values) {
            throw new TinygateError('DATA_MISSING_CHANNEL', `${csv}: no numeric column "${name}"`, {
              hint: `The file has: ${[...rec.columns.keys()].join(', ')}.`,
            });
          }
          return { name, values };
        });
        if (channels.length === 0) {
          throw new TinygateError('DATA_INVALID', `${csv}: no numeric column to watch`, {
            hint: 'Give a file with at least one numeric value column beside the time column.',
          });
        }
        const n = rec.t.length;
        const learningRows = learnRows(opts.learn, rec.t);
        const o = {
          ...SLOW_SIGNAL_DEFAULTS,
          threshold: parseRate(opts.threshold),
          holdS: parseSpan(opts.hold, '--hold'),
          ...(opts.autoencoder ? { autoencoder: { arithmetic: arithmetic(opts.autoencoder) } } : {}),
        };
        const minRows = o.window * 4;
        if (learningRows < minRows || learningRows >= n) {
          throw new TinygateError(
            'DETECT_TOO_LITTLE_DATA',
            `${csv}: ${n} rows; learning on ${learningRows} of them leaves ${Math.max(0, n - learningRows)} to watch, and learning needs at least ${minRows} (4 windows of ${o.window} rows)`,
            {
              hint: `Give more rows, or a learning period (--learn) between ${minRows} rows and fewer than ${n}.`,
            },
          );
        }
        const bar = progressBar('detect', n, 'rows');
        const run = await runOverSeries(rec.t, channels, learningRows, o, (d) => bar.update(d));
        bar.stop();

        const toTime = (tS: number) =>
          rec.startEpochMs !== undefined ? new Date(rec.startEpochMs + tS * 1000).toISOString() : `${tS}`;
        const alerts = run.decisions.flatMap((d, i) =>
          d?.alarm === 'raised'
            ? [{ row: i, time: toTime(rec.t[i]!), p: d.p, surprise: d.surprise, feature: d.worst }]
            : [],
        );
        const spanS = rec.t[n - 1]! - rec.t[0]!;
        const watchedS = rec.t[n - 1]! - rec.t[learningRows]!;
        const labelled = opts.labels
          ? (await import('../sensing/labels.js')).readLabelledWindows(opts.labels, rec)
          : null;
        const found = labelled?.map(([a, b]) => alerts.some((x) => rec.t[x.row]! >= a && rec.t[x.row]! <= b));
        if (opts.scores) writeFileSync(opts.scores, scoresCsv(rec.t, channels, run, toTime));
        if (opts.plot) {
          const { renderRunSvg } = await import('../detect/plot-svg.js');
          const epoch = rec.startEpochMs !== undefined;
          const at = (tS: number) => (epoch ? rec.startEpochMs! + tS * 1000 : tS);
          writeFileSync(
            opts.plot,
            renderRunSvg({
              title: `tinygate detect ${basename(csv)}: ${alerts.length} alarms`,
              times: Float64Array.from(rec.t, at),
              epoch,
              signals: channels,
              score: {
                name: 'surprise (−log10 p)',
                values: Float64Array.from(run.decisions, (d) => d?.surprise ?? 0),
                threshold: run.thresholdSurprise,
              },
              ...(labelled ? { windows: labelled.map(([a, b]) => [at(a), at(b)] as const) } : {}),
              alerts: alerts.map((a) => at(rec.t[a.row]!)),
              learningUntil: at(rec.t[learningRows - 1]!),
            }),
          );
        }
        const result = {
          file: csv,
          rows: n,
          columns: names,
          intervalS: run.intervalS,
          spanS,
          ...(rec.timeSteppedBack ? { timeSteppedBack: rec.timeSteppedBack } : {}),
          learning: { rows: learningRows, untilTime: toTime(rec.t[learningRows - 1]!) },
          seasonsS: run.seasonsS,
          features: run.featureNames,
          threshold: o.threshold,
          alerts,
          alertsPerDayWatched: watchedS > 0 ? (alerts.length * 86_400) / watchedS : null,
          ...(labelled
            ? { labelledWindows: labelled.length, windowsWithAlert: found!.filter(Boolean).length }
            : {}),
          ...(opts.scores ? { scores: opts.scores } : {}),
          ...(opts.plot ? { plot: opts.plot } : {}),
        };
        report(opts, result, () => {
          const lines = [
            `${csv}: ${n} rows, one every ${human(run.intervalS)} (median), ${human(spanS)} in all`,
            `learned on the first ${learningRows} rows (until ${result.learning.untilTime}); seasons: ${run.seasonsS.map(formatPeriod).join(', ') || 'none found'}`,
            `threshold ${'perWindow' in o.threshold ? `${o.threshold.perWindow} per window` : `${o.threshold.perDay} per day`}; ${alerts.length} alarms in ${human(watchedS)} watched${result.alertsPerDayWatched !== null ? ` (${result.alertsPerDayWatched.toFixed(2)} a day)` : ''}`,
          ];
          if (rec.timeSteppedBack) {
            lines.push(
              `note: time steps back at ${rec.timeSteppedBack.rows} row(s) (first ${rec.timeSteppedBack.first}); rows kept in file order`,
            );
          }
          if (labelled)
            lines.push(`labelled windows with an alarm: ${result.windowsWithAlert} of ${labelled.length}`);
          if (alerts.length) {
            lines.push(
              table(
                ['row', 'time', 'p', 'most unusual'],
                alerts.map((a) => [String(a.row), a.time, a.p.toExponential(1), a.feature]),
              ),
            );
          }
          if (opts.scores) lines.push(`scores: ${opts.scores}`);
          if (opts.plot) lines.push(`plot: ${opts.plot}`);
          return lines.join('\n');
        });
      }),
    );
}

function arithmetic(v: string): 'float' | 'int8' {
  if (v === 'float' || v === 'int8') return v;
  throw new TinygateError('BAD_OPTION', `--autoencoder ${v}: not float or int8`, {
    hint: 'float trains and runs it in tfjs; int8 converts it and runs it in the TFLite interpreter.',
  });
}

// "15%" of the rows, a duration from the first row, or a row count.
function learnRows(spec: string, t: Float64Array): number {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(spec.trim());
  if (pct) return Math.floor((Number(pct[1]) / 100) * t.length);
  if (/^\d+$/.test(spec.trim())) return Number(spec);
  const s = parseSpan(spec, '--learn');
  let i = 0;
  while (i < t.length && t[i]! - t[0]! < s) i++;
  return i;
}

function scoresCsv(
  t: Float64Array,
  channels: { name: string; values: Float64Array }[],
  run: {
    decisions: Array<{ surprise: number; verdict: string; alarm: string | null } | null>;
    thresholdSurprise: number;
  },
  toTime: (tS: number) => string,
): string {
  const head = ['time', ...channels.map((c) => c.name), 'surprise', 'threshold', 'verdict', 'alarm'];
  const rows = [head.join(',')];
  for (let i = 0; i < t.length; i++) {
    const d = run.decisions[i];
    rows.push(
      [
        toTime(t[i]!),
        ...channels.map((c) => String(c.values[i])),
        d ? d.surprise.toFixed(4) : '',
        run.thresholdSurprise.toFixed(4),
        d?.verdict ?? 'filling',
        d?.alarm ?? '',
      ].join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}
