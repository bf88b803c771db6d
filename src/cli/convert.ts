import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { findBoard } from '../boards/index.js';
import {
  CALIBRATION_STRATEGIES as CALIBRATIONS,
  type CalibrationStrategy,
  type ConvertReport,
  convertModel,
} from '../convert/index.js';
import { isTinygateError, TinygateError } from '../errors/index.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { parseNonNegative } from './parse.js';
import { progressBar } from './progress-bar.js';

interface ConvertCliOptions extends JsonFlag {
  calib: string;
  board?: string[];
  io: string;
  eval?: string;
  offlinePlan?: boolean;
  output?: string;
  calibration?: string;
  percentile?: string;
  perChannel?: boolean;
  maxRmse?: string;
  maxAucDrop: string;
  fit?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert <model>')
    .description(
      'convert a tfjs Layers model or a float .tflite to a full-integer int8 .tflite, sized for boards',
    )
    .requiredOption('--calib <file>', 'calibration samples: .csv (one per row), .npy or .json')
    .option('--board <id...>', 'board profiles the model must fit (flash and arena)')
    .option('--io <type>', 'int8 (default) or float (adds QUANTIZE/DEQUANTIZE)', 'int8')
    .option(
      '--eval <file>',
      'evaluation samples (a CSV with a `label` column adds anomaly AUC); default: every fifth --calib sample, held back',
    )
    .option(
      '--calibration <strategy>',
      `${CALIBRATIONS.join(', ')} (default: minmax for a tinygate detection model folder, else output-mse)`,
    )
    .option('--percentile <p>', 'for --calibration percentile (default 99.99)')
    .option('--per-channel', 'per-channel weights for fully-connected layers too')
    .option('--offline-plan', 'embed the arena plan as OfflineMemoryAllocation metadata')
    .option('--max-rmse <fraction>', 'refuse when RMSE exceeds this fraction of the output range')
    .option('--max-auc-drop <d>', 'refuse when the anomaly AUC drops by more than this', '0.01')
    .option(
      '-o, --output <file>',
      'the .tflite to write (default: <model name>.int8.tflite); the report goes beside it',
    )
    .option(
      '--fit',
      'when the int8 model does not fit the --board, shrink it (tinygate shrink, learning from --calib) and write the student instead',
    )
    .option('--json', 'print the report as one JSON document')
    .action(
      action(async (model: string, opts: ConvertCliOptions) => {
        if (opts.fit && (opts.board?.length ?? 0) !== 1) {
          throw new TinygateError(
            'BAD_OPTION',
            `--fit needs exactly one --board (got ${opts.board?.length ?? 0})`,
            {
              hint: 'Shrinking makes a model for one board: give the board it must fit, e.g. --board arduino-mega2560.',
            },
          );
        }
        if (opts.io !== 'int8' && opts.io !== 'float') throw badOption('--io', opts.io, 'int8 or float');
        if (opts.calibration !== undefined && !(CALIBRATIONS as readonly string[]).includes(opts.calibration))
          throw badOption('--calibration', opts.calibration, CALIBRATIONS.join(', '));
        const boards = (opts.board ?? []).map((id) => findBoard(id));
        const out =
          opts.output ??
          join(dirname(model), `${basename(model).replace(/\.(json|tflite)$/, '')}.int8.tflite`);
        const reportFile = `${out.replace(/\.tflite$/, '')}.report.json`;
        // A tinygate model folder calibrated from a raw recording: its pipeline makes the model's inputs.
        const fromRecording = await recordingInputs(model, opts.calib, opts.eval);
        const bars = {
          calibrate: progressBar('calibrate', 1, 'samples'),
          search: progressBar('search', 1, 'candidates'),
          evaluate: progressBar('evaluate', 1, 'samples'),
        };
        let current: keyof typeof bars | null = null;
        try {
          const { bytes, report: rep } = await convertModel({
            model,
            calib: opts.calib,
            ...fromRecording,
            ...(opts.eval ? { eval: opts.eval } : {}),
            boards,
            io: opts.io,
            ...(opts.calibration ? { strategy: opts.calibration as CalibrationStrategy } : {}),
            ...(opts.percentile ? { percentile: parseNonNegative(opts.percentile, '--percentile') } : {}),
            perChannelDense: opts.perChannel ?? false,
            offlinePlan: opts.offlinePlan ?? false,
            ...(opts.maxRmse ? { maxRmse: parseNonNegative(opts.maxRmse, '--max-rmse') } : {}),
            maxAucDrop: parseNonNegative(opts.maxAucDrop, '--max-auc-drop'),
            onProgress: (stage, done, total) => {
              if (current !== stage) {
                bars[current ?? stage].stop();
                bars[stage] = progressBar(stage, total, stage === 'search' ? 'candidates' : 'samples');
                current = stage;
              }
              bars[stage].update(done);
            },
          });
          for (const bar of Object.values(bars)) bar.stop();
          writeFileSync(out, bytes);
          writeFileSync(reportFile, `${JSON.stringify(rep, null, 2)}\n`);
          report(opts, jsonReport(out, reportFile, rep), () => render(out, reportFile, rep));
        } catch (err) {
          for (const bar of Object.values(bars)) bar.stop();
          // A model that does not fit or fails the gate still leaves its report, so the user sees why.
          const rep = isTinygateError(err)
            ? (err.details as { report?: ConvertReport } | undefined)?.report
            : undefined;
          if (rep) {
            writeFileSync(reportFile, `${JSON.stringify(rep, null, 2)}\n`);
            if (!opts.json) process.stderr.write(`${render(null, reportFile, rep)}\n`);
          }
          if (opts.fit && isTinygateError(err) && err.code === 'CONVERT_DOES_NOT_FIT') {
            await shrinkInstead(model, boards[0]!, opts, out);
            return;
          }
          throw err;
        }
      }),
    );
}

async function recordingInputs(model: string, calib: string, evalFile: string | undefined) {
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(model, 'pipeline.json'))) return {};
  const { int8Description, isRecordingFor, loadSidecar, modelInputsFromRecording } = await import(
    '../detect/index.js'
  );
  if (!isRecordingFor(model, calib)) return {};
  const { sidecar } = loadSidecar(model);
  const c = modelInputsFromRecording(model, calib);
  return {
    calibSamples: c.samples,
    description: int8Description(sidecar),
    ...(evalFile && isRecordingFor(model, evalFile)
      ? { evalSamples: modelInputsFromRecording(model, evalFile) }
      : {}),
  };
}

/** The report plus the summary fields scripts read first: bytes, ops, arena, error, board fit. */
function jsonReport(out: string, reportFile: string, r: ConvertReport) {
  return {
    output: out,
    reportFile,
    bytes: r.model.bytes,
    ops: r.model.ops,
    arena: { headBytes: r.model.plan.headBytes, tflmEstimateBytes: r.model.tflm.totalBytes },
    error: {
      maxAbs: r.accuracy.maxAbsError,
      rmse: r.accuracy.rmse,
      rmseOverRange: r.accuracy.rmseOverRange,
      snrDb: r.accuracy.snrDb,
    },
    ...r,
    boards: r.boards.map((b) => ({
      id: b.board,
      flashMargin: b.flash.margin,
      arenaMargin: b.arena.margin,
      ...b,
    })),
  };
}

function badOption(flag: string, value: string, what: string): TinygateError {
  return new TinygateError('BAD_OPTION', `${flag} ${value} is not valid`, { hint: `Give ${what}.` });
}

function render(out: string | null, reportFile: string, r: ConvertReport): string {
  const a = r.accuracy;
  const lines = [
    out
      ? `wrote ${out} (${formatBytes(r.model.bytes)}, float was ${formatBytes(r.float.bytes)}); report ${reportFile}`
      : `report ${reportFile}`,
    `${r.model.ops.length} ops, ${r.model.totalMacs.toLocaleString('en-US')} MACs, arena ${r.model.tflm.totalBytes} B (TFLite Micro estimate), I/O ${r.io}`,
    `calibration: ${r.calibration.strategy} on ${r.calibration.samples} samples; weights per-channel (conv), ${r.weights.dense} (dense)`,
    `accuracy on ${a.samples} ${r.evaluation.heldBack ? 'held-back' : 'eval'} samples: max |err| ${a.maxAbsError.toPrecision(3)}, RMSE ${a.rmse.toPrecision(3)} (${(a.rmseOverRange * 100).toFixed(2)} % of range), SNR ${a.snrDb.toFixed(1)} dB` +
      (a.auc ? `, AUC ${a.auc.float.toFixed(4)} float → ${a.auc.int8.toFixed(4)} int8` : ''),
  ];
  if (r.boards.length) {
    lines.push(
      table(
        ['board', 'fits', 'flash need / budget', 'arena need / budget'],
        r.boards.map((b) => [
          b.board,
          b.fits ? 'yes' : 'NO',
          `${formatBytes(b.flash.need)} / ${formatBytes(b.flash.budget)}`,
          `${formatBytes(b.arena.need)} / ${formatBytes(b.arena.budget)}`,
        ]),
      ),
    );
  }
  if (!r.gate.passed) lines.push(`accuracy gate FAILED: ${r.gate.failures.join('; ')}`);
  return lines.join('\n');
}

/** `--fit`: the model did not fit, so shrink it for the board and write the chosen student's int8 file. */
async function shrinkInstead(
  model: string,
  board: ReturnType<typeof findBoard>,
  opts: ConvertCliOptions,
  out: string,
): Promise<void> {
  const { existsSync, copyFileSync } = await import('node:fs');
  const folder = `${model.replace(/\/+$/, '').replace(/\/model\.json$/, '')}-${board.id}`;
  if (!existsSync(join(model, 'pipeline.json'))) {
    if (opts.eval) {
      throw new TinygateError(
        'SHRINK_UNSUPPORTED',
        `${model} is not a tinygate model folder, so --fit judges its students on fidelity to it on --calib and cannot use --eval`,
        { hint: 'Leave --eval out (or shrink it with `tinygate shrink`, which says what it judges).' },
      );
    }
    // Not made by `tinygate train`: no fault labels, so students are judged on fidelity to the model.
    const { shrinkLayersModel, layersShrinkFailure } = await import('../shrink/index.js');
    let bar: ReturnType<typeof progressBar> | null = null;
    const r = await shrinkLayersModel({
      model,
      board,
      data: opts.calib,
      out: folder,
      ...(opts.maxRmse ? { maxRmse: parseNonNegative(opts.maxRmse, '--max-rmse') } : {}),
      onProgress: (done, total, what) => {
        bar ??= progressBar('shrink', total, 'candidates');
        bar.update(done, what);
      },
    });
    (bar as ReturnType<typeof progressBar> | null)?.stop();
    if (!r.chosen) throw layersShrinkFailure(r);
    copyFileSync(join(folder, 'model.int8.tflite'), out);
    report(opts, { output: out, shrunk: r }, () =>
      [
        `${model} did not fit ${board.id}; shrunk to ${r.chosen!.name} (${r.chosen!.method}), ${r.chosen!.int8Bytes} B, judged on fidelity to it: top-1 agreement ${r.chosen!.fidelity.top1Agreement ?? '–'}, output RMSE ${(r.chosen!.fidelity.rmseOverRange * 100).toFixed(2)} % of its range`,
        `wrote ${out}; model folder ${folder}; picture ${r.picture}`,
      ].join('\n'),
    );
    return;
  }
  const { shrinkModel, shrinkFailure } = await import('../shrink/index.js');
  let bar: ReturnType<typeof progressBar> | null = null;
  const r = await shrinkModel({
    model,
    board,
    data: opts.calib,
    ...(opts.eval ? { eval: [opts.eval] } : {}),
    out: folder,
    maxAucDrop: parseNonNegative(opts.maxAucDrop, '--max-auc-drop'),
    command: `tinygate ${process.argv.slice(2).join(' ')}`,
    onProgress: (done, total, what) => {
      bar ??= progressBar('shrink', total, 'candidates');
      bar.update(done, what);
    },
  });
  (bar as ReturnType<typeof progressBar> | null)?.stop();
  if (!r.chosen) throw shrinkFailure(r);
  copyFileSync(join(folder, 'model.int8.tflite'), out);
  report(opts, { output: out, shrunk: r }, () =>
    [
      `${model} did not fit ${board.id}; shrunk to ${r.chosen!.name} (${r.chosen!.method}), ${r.chosen!.int8Bytes} B`,
      `wrote ${out}; model folder ${folder} (its card says how it was made); picture ${r.picture}`,
    ].join('\n'),
  );
}
