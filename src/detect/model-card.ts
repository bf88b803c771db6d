import { formatSpan } from './dataset.js';
import type { ModelSidecar } from './model-dir.js';
import { formatThresholdRule } from './threshold.js';

/** The model's README.md: what it was trained on, what it computes, how good it is, how to make it again. */
export function renderModelCard(s: ModelSidecar, features: string[]): string {
  const t = s.training as Record<string, unknown>;
  const w = t.windows as { total: number; train: number; validation: number; dropped: number };
  const scen = t.scenario as { name?: string; seed?: number } | null;
  const val = t.validationScores as Record<string, number>;
  const p = s.features;
  const lines = [
    `# Model card: ${s.model.id}`,
    '',
    `${s.model.kind === 'conv-autoencoder' ? 'Convolutional' : 'Dense'} autoencoder for anomaly detection, trained by tinygate. Hash \`${s.model.hash}\`.`,
    'A window is anomalous when its mean squared reconstruction error (over the normalized features)',
    `exceeds **${s.threshold.value.toPrecision(4)}** (${formatThresholdRule(s.threshold.rule)} of ${s.threshold.n} validation windows).`,
    '',
    '## Data',
    '',
    `- file: \`${t.data}\` (${t.source}${scen?.name ? `, scenario \`${scen.name}\` seed ${scen.seed}` : ''})`,
    `- ${t.rows} rows, ${Number(t.durationS).toFixed(1)} s at ${p.sampleRateHz} Hz`,
    `- windows: ${w.total} (${w.train} train, ${w.validation} validation = the latest ${Math.round((100 * w.validation) / (w.train + w.validation))} % in time, ${w.dropped} dropped as labelled faulty or failing the sensor checks)`,
    '',
    '## Features (the pipeline in pipeline.json; the board must compute the same)',
    '',
    `- window ${p.window.size} samples, hop ${p.window.hop} (${(p.window.size / p.sampleRateHz).toFixed(3)} s every ${(p.window.hop / p.sampleRateHz).toFixed(3)} s)`,
    ...p.channels.map((c) => `- \`${c.name}\`: ${c.features.join(', ')}`),
    `- band energies: ${p.bands.count} equal bands from ${p.bands.fromHz} Hz to ${p.bands.toHz ?? p.sampleRateHz / 2} Hz, log10 of power (Hann window, mean removed)`,
    `- ${features.length} inputs, each normalized as (x − mean) / std with the training statistics`,
    '',
    '## Model',
    '',
    `- ${[s.model.inputs, ...layerWidths(s)].join(' → ')}${s.model.kind === 'conv-autoencoder' ? ` (the first ${(s.model.layers ?? []).filter((l) => l.type.startsWith('conv1d')).length} Conv1D filters, ${s.model.layers?.[0]?.type}; then dense units)` : ''}, ReLU, linear output; ${s.model.parameters} parameters`,
    `- Adam lr ${t.learningRate}, batch ${t.batchSize}, ${t.epochs} epochs (best ${t.bestEpoch}${t.stoppedEarly ? ', stopped early' : ''}, patience ${t.patience}), seed ${t.seed}, tfjs backend ${t.backend}`,
    `- validation loss ${Number(t.valLoss).toPrecision(4)}; validation scores: median ${val.p50?.toPrecision(3)}, p99 ${val.p99?.toPrecision(3)}, max ${val.max?.toPrecision(3)}`,
    '',
    ...shrinkSection(t.shrink as ShrinkRecord | undefined),
    '## Sensor checks (windows failing them raise sensor alerts, never machine ones)',
    '',
    ...s.checks.map(
      (c) =>
        `- \`${c.name}\` (${c.sensor}): plausible ${c.plausible[0] ?? '−∞'} … ${c.plausible[1] ?? '∞'} ${c.unit}, step ${c.resolution.toPrecision(3)}, ${c.dynamic ? 'moves within a window (flat = stuck)' : 'slow (no flatness check)'}`,
    ),
    '',
    '## Reproduce',
    '',
    '```sh',
    t.command ? String(t.command) : `tinygate train --data ${t.data} -o <folder>`,
    '```',
    '',
    'Quality on labelled data: `tinygate eval --model <this folder> --data <labelled.csv>`.',
    '',
  ];
  return lines.join('\n');
}

/** Every dense layer's width: `layers` when the sidecar lists them (pruned students), else the mirror. */
function layerWidths(s: ModelSidecar): number[] {
  if (s.model.layers) return s.model.layers.map((l) => l.width);
  const h = s.model.hidden;
  return [...h, ...[...h].reverse().slice(1), s.model.inputs];
}

/** A model's figures before or after `tinygate shrink` (the card's table). */
export interface ShrinkFigures {
  int8Bytes: number;
  parameters: number;
  macs: number;
  arenaBytes: number;
  auc: Record<string, number>;
  falseAlarms: number;
}
/** What `tinygate shrink` records in the chosen model's pipeline.json (training.shrink), for its card. */
export interface ShrinkRecord {
  teacher: {
    dir: string;
    id: string;
    hash: string;
    int8: 'shipped' | 'converted here';
    int8Bytes: number;
    parameters: number;
    widths: number[];
  };
  board: string;
  budget: { flashBytes: number; arenaBytes: number };
  method: string;
  pruning: string;
  distillation: string;
  gate: { maxAucDrop: number; faults: string[]; normalHours: number; labelled: boolean };
  before: ShrinkFigures;
  after: ShrinkFigures;
}

// How a shrunk model was made and what it cost, before and after, from `tinygate shrink`.
function shrinkSection(r: ShrinkRecord | undefined): string[] {
  if (!r) return [];
  const row = (name: string, f: ShrinkFigures) =>
    `| ${name} | ${f.int8Bytes} | ${f.parameters} | ${f.macs} | ${f.arenaBytes} | ${
      Object.values(f.auc)
        .map((a) => a.toFixed(4))
        .join(' / ') || 'not measured'
    } | ${f.falseAlarms} |`;
  return [
    '## Shrunk from a teacher',
    '',
    `- teacher: \`${r.teacher.id}\` (hash \`${r.teacher.hash}\`, hidden ${r.teacher.widths.join('-')}), for board \`${r.board}\` (${r.budget.flashBytes} B model flash, ${r.budget.arenaBytes} B arena)`,
    `- method: ${r.method}; pruning: ${r.pruning}; distillation: ${r.distillation}`,
    `- gate: ${r.gate.labelled ? `AUC within ${r.gate.maxAucDrop} of the teacher on every fault type, ` : 'no labelled data, so '}no more false machine alerts than the teacher over ${formatSpan(r.gate.normalHours * 3600)} of normal windows`,
    '',
    `| | int8 bytes | parameters | MACs | arena B | AUC per fault (${Object.keys(r.before.auc).join(' / ') || '–'}) | false alerts |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    row('teacher', r.before),
    row('this model', r.after),
    '',
    'Every candidate tried is in shrink-report.json and shrink.svg beside this card.',
    '',
  ];
}
