import type { Command } from 'commander';
import { Interpreter, inferRows, readInputFile, readTfliteFile } from '../tflite/index.js';
import { table } from './format.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface InferCliOptions extends JsonFlag {
  input: string;
  raw?: boolean;
}

const CHUNK = 256;
const SHOWN_VALUES = 8;

export function registerInfer(program: Command): void {
  program
    .command('infer <model>')
    .description(
      'run inputs through a .tflite model in the official TFLite interpreter and print the outputs',
    )
    .requiredOption(
      '--input <file>',
      'inputs: .csv (one row per input), .json (array or array of arrays) or .npy [n, …]',
    )
    .option('--raw', 'inputs are the input tensor’s integers and outputs stay integers (no (de)quantization)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (path: string, opts: InferCliOptions) => {
        const { bytes } = readTfliteFile(path);
        const interpreter = await Interpreter.load(bytes);
        try {
          const rows = readInputFile(opts.input, interpreter.inputs[0]?.size ?? 0);
          const bar = progressBar('infer', rows.length, 'inputs');
          const results: number[][][] = [];
          for (let i = 0; i < rows.length; i += CHUNK) {
            results.push(...inferRows(interpreter, rows.slice(i, i + CHUNK), { raw: opts.raw }));
            bar.update(Math.min(i + CHUNK, rows.length));
          }
          bar.stop();
          const doc = {
            model: path,
            input: opts.input,
            raw: Boolean(opts.raw),
            inputs: interpreter.inputs,
            outputs: interpreter.outputs,
            results: results.map((outs, i) => ({
              index: i,
              outputs: outs,
            })),
          };
          report(opts, doc, () =>
            table(
              ['#', ...interpreter.outputs.map((o) => o.name)],
              results.map((outs, i) => [String(i + 1), ...outs.map(preview)]),
            ),
          );
        } finally {
          interpreter.dispose();
        }
      }),
    );
}

function preview(values: number[]): string {
  const shown = values
    .slice(0, SHOWN_VALUES)
    .map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(5)));
  return values.length > SHOWN_VALUES ? `${shown.join(' ')} … (${values.length} values)` : shown.join(' ');
}
