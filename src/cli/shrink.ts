import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { type BoardProfile, findBoard } from '../boards/index.js';
import { formatSpan } from '../detect/dataset.js';
import { TinygateError } from '../errors/index.js';
import type { LayersShrinkReport, ShrinkReport } from '../shrink/index.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { parseNonNegative } from './parse.js';
import { progressBar } from './progress-bar.js';

interface ShrinkCliOptions extends JsonFlag {
  board: string;
  data?: string;
  eval?: string[];
  output?: string;
  targetBytes?: string;
  maxAucDrop: string;
  minAgreement: string;
  maxRmse: string;
  epochs: string;
  seed: string;
}

export function registerShrink(program: Command): void {
  program
    .command('shrink <model>')
    .description(
      "make a model fit a board: structured pruning and distillation from the model (the teacher), smallest student that fits and keeps the teacher's detection quality (a model `tinygate train` wrote) or follows the teacher's outputs (any other tfjs Layers model)",
    )
    .requiredOption('--board <id>', 'board profile whose model slot and arena the model must fit')
    .option(
      '--data <file.csv>',
      "normal data to learn from (default: the teacher's training data, if still there)",
    )
    .option(
      '--eval <file.csv...>',
      'labelled recordings with machine faults and normal running to judge every candidate on (AUC per fault type and false alerts); without them only false alerts on --data are judged',
    )
    .option('-o, --output <folder>', 'model folder to write (default: <model>-<board>)')
    .option('--target-bytes <n>', 'a flash budget below the board’s model slot')
    .option('--max-auc-drop <d>', 'largest AUC drop from the teacher allowed on any fault type', '0.005')
    .option(
      '--min-agreement <f>',
      "models tinygate did not train, classifiers: least share of held-back --data samples whose int8 student's top class is the float teacher's",
      '0.99',
    )
    .option(
      '--max-rmse <f>',
      "models tinygate did not train: largest RMSE of the int8 student's outputs from the float teacher's, as a fraction of the teacher's output range",
      '0.05',
    )
    .option('--epochs <n>', 'most epochs per student', '200')
    .option('--seed <n>', 'seed for fresh students and shuffling', '1')
    .option('--json', 'print the report as one JSON document')
    .action(
      action(async (model: string, opts: ShrinkCliOptions) => {
        const board = findBoard(opts.board);
        if (!(await isTinygateModel(model))) return shrinkOther(model, board, opts);
        const data = opts.data ?? (await teacherData(model));
        const out = opts.output ?? `${resolve(model)}-${board.id}`;
        // tfjs and the converter load only here.
        const { shrinkModel, shrinkFailure } = await import('../shrink/index.js');
        let bar: ReturnType<typeof progressBar> | null = null;
        const r = await shrinkModel({
          model,
          board,
          data,
          ...(opts.eval?.length ? { eval: opts.eval } : {}),
          out,
          ...(opts.targetBytes ? { targetBytes: whole('--target-bytes', opts.targetBytes) } : {}),
          maxAucDrop: parseNonNegative(opts.maxAucDrop, '--max-auc-drop'),
          epochs: whole('--epochs', opts.epochs),
          seed: whole('--seed', opts.seed),
          command: `tinygate ${process.argv.slice(2).join(' ')}`,
          onProgress: (done, total, what) => {
            bar ??= progressBar('shrink', total, 'candidates');
            bar.update(done, what);
          },
        });
        (bar as ReturnType<typeof progressBar> | null)?.stop();
        if (!r.chosen) {
          if (!opts.json) process.stderr.write(`${render(r)}\n`);
          throw shrinkFailure(r);
        }
        report(opts, r, () => render(r));
      }),
    );
}

async function isTinygateModel(model: string): Promise<boolean> {
  const { existsSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  return existsSync(model) && statSync(model).isDirectory() && existsSync(join(model, 'pipeline.json'));
}

/** A tfjs Layers model without a tinygate pipeline: no fault labels, so judged on fidelity to the teacher. */
async function shrinkOther(model: string, board: BoardProfile, opts: ShrinkCliOptions): Promise<void> {
  if (opts.eval?.length) {
    throw new TinygateError(
      'BAD_OPTION',
      `--eval needs a model folder \`tinygate train\` wrote (its pipeline turns recordings into inputs); ${model} has no pipeline.json`,
      {
        hint: 'Leave --eval out: this model is judged on how closely its int8 student follows it on held-back --data samples (--min-agreement, --max-rmse).',
      },
    );
  }
  if (!opts.data) {
    throw new TinygateError(
      'SHRINK_NO_DATA',
      `${model} is not a tinygate model folder, so shrink needs samples of its inputs and none were given`,
      {
        hint: 'Pass --data with a few hundred inputs the model sees in use (.csv one per row, .npy or .json, as for `tinygate convert --calib`).',
      },
    );
  }
  const { shrinkLayersModel, layersShrinkFailure } = await import('../shrink/index.js');
  let bar: ReturnType<typeof progressBar> | null = null;
  const r = await shrinkLayersModel({
    model,
    board,
    data: opts.data,
    out: opts.output ?? `${resolve(model).replace(/\/model\.json$/, '')}-${board.id}`,
    ...(opts.targetBytes ? { targetBytes: whole('--target-bytes', opts.targetBytes) } : {}),
    minAgreement: fraction('--min-agreement', opts.minAgreement),
    maxRmse: parseNonNegative(opts.maxRmse, '--max-rmse'),
    epochs: whole('--epochs', opts.epochs),
    seed: whole('--seed', opts.seed),
    onProgress: (done, total, what) => {
      bar ??= progressBar('shrink', total, 'candidates');
      bar.update(done, what);
    },
  });
  (bar as ReturnType<typeof progressBar> | null)?.stop();
  if (!r.chosen) {
    if (!opts.json) process.stderr.write(`${renderLayers(r)}\n`);
    throw layersShrinkFailure(r);
  }
  report(opts, r, () => renderLayers(r));
}

function renderLayers(r: LayersShrinkReport): string {
  const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(2)} %`);
  const g = r.gate;
  return [
    `${r.teacher.path} for ${r.board}: budget ${formatBytes(r.budget.flashBytes)} model flash, ${formatBytes(r.budget.arenaBytes)} arena`,
    `judged on fidelity to the float teacher (not a tinygate model, so no fault labels): each int8 model in the TFLite interpreter on ${g.samples.judge} held-back samples of ${g.samples.file}; gate: ${g.classifier ? `top-1 agreement at least ${pct(g.minAgreement)}, ` : ''}output RMSE at most ${pct(g.maxRmse)} of the teacher's output range`,
    candidateTable(r, ['top-1 agree', 'RMSE/range'], (c) => [
      pct(c.fidelity.top1Agreement),
      pct(c.fidelity.rmseOverRange),
    ]),
    ...outcome(r),
  ].join('\n');
}

function fraction(flag: string, s: string): number {
  const n = Number(s);
  if (!(n >= 0 && n <= 1))
    throw new TinygateError('BAD_OPTION', `${flag} ${s} is not valid`, {
      hint: 'Give a fraction from 0 to 1.',
    });
  return n;
}

/** The teacher's recorded training data, when the file is still where training read it. */
async function teacherData(model: string): Promise<string> {
  const { existsSync } = await import('node:fs');
  const { loadSidecar } = await import('../detect/model-dir.js');
  const recorded = loadSidecar(model).sidecar.training.data;
  if (typeof recorded === 'string' && existsSync(recorded)) return recorded;
  throw new TinygateError(
    'SHRINK_NO_DATA',
    `${basename(model)} was trained on ${recorded ? `"${String(recorded)}", which is not there any more` : 'data it does not name'}, and no --data was given`,
    {
      hint: 'Pass normal data of the same machine with --data (a CSV from `tinygate record` or `tinygate sim data`); students learn from it.',
    },
  );
}

function render(r: ShrinkReport): string {
  const faults = r.gate.faults;
  return [
    `${r.teacher.id} for ${r.board}: budget ${formatBytes(r.budget.flashBytes)} model flash, ${formatBytes(r.budget.arenaBytes)} arena; judged on detection quality; gate: ${r.gate.labelled ? `AUC within ${r.gate.maxAucDrop} of the teacher per fault, ` : 'no labelled data (pass --eval for AUC), '}no more false alerts than the teacher over ${formatSpan(r.gate.normalHours * 3600)} of normal windows`,
    candidateTable(r, [...faults.map((f) => `AUC ${f}`), 'false alerts'], (c) => [
      ...faults.map((f) => c.quality.auc[f]?.toFixed(4) ?? '–'),
      String(c.quality.falseAlarms),
    ]),
    ...outcome(r),
  ].join('\n');
}

/** What both shrink reports say of a candidate, whichever judge measured it. */
interface CandidateRow {
  name: string;
  method: string;
  parameters: number;
  macs: number;
  int8Bytes: number;
  arenaBytes: number;
  fits: boolean;
  passes: boolean;
  fitProblems: string[];
  failures: string[];
}

/** One row per candidate: its size, the judge's own columns, its verdict and the first reason for it. */
function candidateTable<C extends CandidateRow>(
  r: { candidates: C[]; chosen: C | null },
  judgedHeads: string[],
  judged: (c: C) => string[],
): string {
  const rows = r.candidates.map((c) => [
    c === r.chosen ? `${c.name} ←` : c.name,
    c.method,
    String(c.parameters),
    String(c.macs),
    String(c.int8Bytes),
    String(c.arenaBytes),
    ...judged(c),
    c.method === 'teacher' ? (c.fits ? 'fits' : 'no fit') : c.passes ? 'pass' : 'fail',
    short((c.method === 'teacher' ? c.fitProblems : c.failures)[0] ?? ''),
  ]);
  return table(['candidate', 'made by', 'params', 'MACs', 'int8 B', 'arena B', ...judgedHeads, '', ''], rows);
}

/** The chosen candidate and where it was written, or why none was. */
function outcome(r: {
  chosen: { name: string; method: string; int8Bytes: number } | null;
  out: string | null;
  picture: string | null;
  noneReason: string | null;
}): string[] {
  if (!r.chosen) return [`none chosen: ${r.noneReason}`];
  return [
    `chosen: ${r.chosen.name} (${r.chosen.method}), ${r.chosen.int8Bytes} B — model folder ${r.out}`,
    `picture: ${r.picture}`,
  ];
}

function whole(flag: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0)
    throw new TinygateError('BAD_OPTION', `${flag} ${s} is not valid`, {
      hint: 'Give a whole number above 0.',
    });
  return n;
}

// The first reason, cut to keep the table on a wide terminal; --json has them all.
function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}
