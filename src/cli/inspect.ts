import type { Command } from 'commander';
import type { BoardProfile } from '../boards/index.js';
import { inspectModel, type ModelReport, readTflite } from '../tflite/index.js';
import { formatBytes, table } from './format.js';
import { readModelFile } from './model-file.js';
import { action, type JsonFlag, report } from './output.js';

interface InspectOptions extends JsonFlag {
  board?: string[];
}

export function registerInspect(program: Command): void {
  program
    .command('inspect <model>')
    .description(
      'show a .tflite model: I/O and quantization, ops with MACs, weights, arena plan, fit on boards',
    )
    .option('--board <id...>', 'check the model against these board profiles’ model budgets')
    .option('--json', 'print one JSON document')
    .action(
      action(async (path: string, opts: InspectOptions) => {
        const bytes = readModelFile(path);
        const boards = opts.board?.length ? await profiles(opts.board) : [];
        const r = inspectModel(readTflite(bytes), bytes.length, boards);
        report(opts, { file: path, ...r }, () => render(path, r));
      }),
    );
}

/** Board profiles (zod) load only when asked for: inspecting a model alone starts faster. */
async function profiles(ids: string[]): Promise<BoardProfile[]> {
  const { findBoard } = await import('../boards/index.js');
  return ids.map((id) => findBoard(id));
}

const shape = (s: number[]) => `[${s.join(',')}]`;
const quant = (q: { scale: number[]; zeroPoint: number[] } | null) =>
  q?.scale.length
    ? q.scale.length === 1
      ? `scale ${q.scale[0]!.toPrecision(6)} zp ${q.zeroPoint[0]}`
      : `per-channel (${q.scale.length} scales)`
    : '';

function render(path: string, r: ModelReport): string {
  const io = table(
    ['', 'name', 'shape', 'type', 'quantization'],
    [
      ...r.inputs.map((t) => ['input', t.name, shape(t.shape), t.type, quant(t.quantization)]),
      ...r.outputs.map((t) => ['output', t.name, shape(t.shape), t.type, quant(t.quantization)]),
    ],
  );
  const ops = table(
    ['#', 'op', 'v', 'inputs', 'outputs', 'MACs'],
    r.ops.map((o) => [
      String(o.index),
      o.op,
      String(o.version),
      o.inputs.map((t) => `${shape(t.shape)} ${t.type}`).join(' '),
      o.outputs.map((t) => `${shape(t.shape)} ${t.type}`).join(' '),
      o.macs.toLocaleString('en-US'),
    ]),
  );
  const lines = [
    `${path}: ${formatBytes(r.bytes)}, ${r.ops.length} ops, ${r.tensorCount} tensors, weights ${formatBytes(r.weightsBytes)}, ${r.totalMacs.toLocaleString('en-US')} MACs, min runtime ${r.minRuntimeVersion ?? '?'}`,
    io,
    ops,
    `arena: head ${r.plan.headBytes} B planned; TFLite Micro (32-bit) estimate ${r.tflm.totalBytes} B used (head ${r.tflm.headBytes} + tail ${r.tflm.tailBytes}), smallest working arena ≈ ${r.tflm.minimumBytes} B`,
  ];
  if (r.boards.length) {
    lines.push(
      table(
        [
          'board',
          'fits',
          'flash need / budget',
          'margin',
          'arena need / budget',
          'margin',
          'arena by',
          'why not',
        ],
        r.boards.map((b) => [
          b.board,
          b.fits ? 'yes' : 'NO',
          `${formatBytes(b.flash.need)} / ${formatBytes(b.flash.budget)}`,
          `${b.flash.margin < 0 ? '-' : ''}${formatBytes(Math.abs(b.flash.margin))}`,
          `${formatBytes(b.arena.need)} / ${formatBytes(b.arena.budget)}`,
          `${b.arena.margin < 0 ? '-' : ''}${formatBytes(Math.abs(b.arena.margin))}`,
          b.runtime === 'firmware-bridge' ? 'board runtime' : 'TFLM estimate',
          b.problems.join('; '),
        ]),
      ),
    );
  }
  return lines.join('\n');
}
