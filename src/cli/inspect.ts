import type { Command } from 'commander';
import { findBoard } from '../boards/index.js';
import { inspectModel, type ModelReport, readTfliteFile, type TensorSummary } from '../tflite/index.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';

interface InspectOptions extends JsonFlag {
  board?: string[];
}

export function registerInspect(program: Command): void {
  program
    .command('inspect <model>')
    .description('show a .tflite model: I/O and quantization, ops with MACs, sizes, arena plan, board fit')
    .option('--board <id...>', 'check the model against these boards’ model budgets (flash and arena)')
    .option('--json', 'print one JSON document')
    .action(
      action((path: string, opts: InspectOptions) => {
        const boards = (opts.board ?? []).map((id) => findBoard(id));
        const { bytes, model } = readTfliteFile(path);
        const result = { file: path, ...inspectModel(model, bytes.length, boards) };
        report(opts, result, () => render(path, result));
      }),
    );
}

function shape(s: number[]): string {
  return `[${s.join(', ')}]`;
}

function quant(t: TensorSummary): string {
  const q = t.quantization;
  if (!q) return '—';
  if ('channels' in q) return `per-channel (${q.channels} along axis ${q.axis})`;
  return `scale ${q.scale.toPrecision(6)}, zero point ${q.zeroPoint}`;
}

function render(path: string, r: ModelReport): string {
  const out: string[] = [];
  out.push(
    `${path}: ${formatBytes(r.fileBytes)}, ${r.ops.length} ops, ${r.tensorCount} tensors, ` +
      `${formatBytes(r.weightsBytes)} of weights, ${r.totalMacs.toLocaleString('en-US')} MACs` +
      `, min runtime ${r.minRuntimeVersion ?? 'not recorded'}`,
  );
  const io = [
    ...r.inputs.map((t) => ['input', t.name, shape(t.shape), t.type, quant(t)]),
    ...r.outputs.map((t) => ['output', t.name, shape(t.shape), t.type, quant(t)]),
  ];
  out.push(table(['', 'tensor', 'shape', 'type', 'quantization'], io));
  const ioText = (list: { shape: number[]; type: string }[]) =>
    list.map((t) => `${shape(t.shape)} ${t.type}`).join(', ');
  out.push(
    table(
      ['#', 'op', 'v', 'inputs', 'outputs', 'MACs'],
      r.ops.map((op) => [
        String(op.index),
        op.op,
        String(op.version),
        ioText(op.inputs),
        ioText(op.outputs),
        op.macs.toLocaleString('en-US'),
      ]),
    ),
  );
  const t = r.arena.tflm;
  out.push(
    `arena: head ${t.headBytes} B planned (16-byte aligned, greedy); TFLite Micro 32-bit estimate ` +
      `${t.usedBytes} B used (tail ${t.tailBytes} B), smallest working arena ≈ ${t.minimumArenaBytes} B` +
      (t.calibrated ? '' : ' (rough: some kernels’ op data are not calibrated)'),
  );
  if (r.boards?.length) {
    const margin = (n: number) => (n >= 0 ? `+${formatBytes(n)}` : `−${formatBytes(-n)}`);
    out.push(
      table(
        ['board', 'flash (model)', 'arena', 'fits'],
        r.boards.map((b) => [
          b.board,
          `${formatBytes(b.flash.needsBytes)} of ${formatBytes(b.flash.budgetBytes)} (${margin(b.flash.marginBytes)})`,
          `${formatBytes(b.arena.needsBytes)} of ${formatBytes(b.arena.budgetBytes)} (${margin(b.arena.marginBytes)})`,
          b.fits ? 'yes' : 'NO',
        ]),
      ),
    );
  }
  return out.join('\n');
}
