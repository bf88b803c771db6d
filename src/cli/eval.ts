import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { EvalReport, ScorerReport, WindowScorer } from '../detect/index.js';
import { TinygateError } from '../errors/index.js';
import { readRecording } from '../sensing/recording.js';
import { table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface EvalCliOptions extends JsonFlag {
  model: string;
  data: string;
  scorers: string;
  positiveFrom: string;
  debounce: string;
  labels?: string;
  scores?: string;
  plot?: string;
  checks: string;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'measure a model on labelled data: AUC, precision/recall/F1, false alarms per hour, detection delay, sensor-fault classification',
    )
    .requiredOption(
      '--model <folder|.tflite>',
      'a model folder from `tinygate train` (int8 scores use its model.int8.tflite)',
    )
    .requiredOption('--data <file.csv>', 'labelled data (tinygate sim data writes the labels)')
    .option(
      '--scorers <list>',
      'scorers side by side: float, int8, baseline (board: not yet)',
      'float,baseline',
    )
    .option(
      '--positive-from <severity>',
      'fault severity (0…1) from which a window counts as anomalous',
      '0.5',
    )
    .option('--debounce <k/n>', 'alert when k of the last n windows are above the threshold', '3/5')
    .option(
      '--labels <windows.json>',
      "labelled anomaly windows kept beside the data (NAB's combined_windows.json), the file's entry found by its name",
    )
    .option(
      '--scores <out.csv>',
      "write every window: end time, label, each scorer's score, threshold, verdict",
    )
    .option(
      '--plot <out.svg>',
      "draw the run: the first channel, the first scorer's score and threshold, labelled faults, alerts",
    )
    .option(
      '--checks <on|off>',
      "sensor checks before scoring (off: score every window; for data the checks' accelerometer rules do not fit)",
      'on',
    )
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: EvalCliOptions) => {
        const kinds = opts.scorers
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const m = /^(\d+)\/(\d+)$/.exec(opts.debounce);
        if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) {
          throw new TinygateError('USAGE', `--debounce "${opts.debounce}" is not k/n with 1 ≤ k ≤ n`, {
            hint: 'e.g. --debounce 3/5',
          });
        }
        const positiveFrom = Number(opts.positiveFrom);
        if (!(positiveFrom > 0 && positiveFrom <= 1)) {
          throw new TinygateError('USAGE', `--positive-from "${opts.positiveFrom}" is not in (0, 1]`, {
            hint: 'e.g. 0.5 (moderate)',
          });
        }
        // tfjs loads only for the commands that need it, so the rest of the CLI starts fast.
        const { BaselineScorer, evaluate, loadModelDir, openScorer, windowRecording } = await import(
          '../detect/index.js'
        );
        const modelDir = opts.model.endsWith('.tflite') ? dirname(opts.model) : opts.model;
        const loaded = await loadModelDir(modelDir);
        const scorers: WindowScorer[] = [];
        for (const k of kinds)
          scorers.push(k === 'baseline' ? new BaselineScorer() : await openScorer(k, opts.model));
        const rec = readRecording(opts.data);
        if (opts.labels) {
          const { labelRecording, readLabelledWindows } = await import('../sensing/labels.js');
          labelRecording(rec, readLabelledWindows(opts.labels, rec));
        }
        if (opts.checks !== 'on' && opts.checks !== 'off') {
          throw new TinygateError('USAGE', `--checks "${opts.checks}" is not on or off`, {
            hint: 'e.g. --checks off',
          });
        }
        const sc = loaded.sidecar;
        const bar = progressBar(
          'windows',
          Math.max(0, Math.floor((rec.t.length - sc.features.window.size) / sc.features.window.hop) + 1),
        );
        const set = windowRecording(rec, sc.features, opts.checks === 'off' ? [] : sc.checks, (d) =>
          bar.update(d),
        );
        bar.stop();
        const result = await evaluate(set, scorers, {
          positiveFrom,
          debounce: { k: Number(m[1]), n: Number(m[2]) },
        });
        if (opts.scores || opts.plot) {
          const { writeEvalScores, writeEvalPlot } = await import('./eval-outputs.js');
          const perScorer: Float32Array[] = [];
          for (const s of scorers) perScorer.push(await s.scoreBatch(set.features));
          if (opts.scores) writeEvalScores(opts.scores, rec, set, scorers, perScorer);
          if (opts.plot) writeEvalPlot(opts.plot, opts.data, rec, set, result, perScorer[0]!);
        }
        for (const s of scorers) s.dispose?.();
        loaded.model.dispose();
        const doc = {
          model: { id: sc.model.id, hash: sc.model.hash, dir: opts.model },
          data: opts.data,
          ...result,
        };
        report(opts, doc, () => render(result));
      }),
    );
}

function render(r: EvalReport): string {
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const rows: [string, (s: ScorerReport) => string][] = [
    ['threshold', (s) => s.threshold.toPrecision(4)],
    ['AUC', (s) => f(s.auc, 4)],
    ['precision', (s) => f(s.precision)],
    ['recall', (s) => f(s.recall)],
    ['F1', (s) => f(s.f1)],
    [
      'false machine alerts / h of normal',
      (s) =>
        `${f(s.falseAlarms.machinePerHour, 2)} (${s.falseAlarms.machine} in ${f(s.falseAlarms.normalHours, 2)} h)`,
    ],
    [
      'detection delay (windows after moderate)',
      (s) =>
        s.detection
          .map((d) =>
            d.delayWindows !== null
              ? String(d.delayWindows)
              : d.alertS !== null
                ? `alert at ${d.alertS.toFixed(0)} s, never reached moderate`
                : 'missed',
          )
          .join(', ') || '—',
    ],
    [
      'sensor-fault windows classified sensor',
      (s) =>
        s.sensorFaults.windows ? `${f(100 * s.sensorFaults.rate, 1)} % of ${s.sensorFaults.windows}` : '—',
    ],
    ['sensor-fault windows scored machine', (s) => String(s.sensorFaults.asMachine)],
    ['alerts (machine / sensor)', (s) => `${s.alerts.machine} / ${s.alerts.sensor}`],
    ['scoring µs per window', (s) => f(s.scoring.usPerWindow, 0)],
  ];
  const head = ['', ...r.scorers.map((s) => s.scorer)];
  const body = rows.map(([name, fn]) => [name, ...r.scorers.map(fn)]);
  const w = r.windows;
  return `${table(head, body)}\nwindows: ${w.total} (${w.positive} anomalous at severity ≥ ${r.positiveFrom}, ${w.normal} normal, ${w.transition} in between, ${w.sensorLabelled} with a sensor fault; ${w.sensorFlagged} failed the sensor checks)`;
}
