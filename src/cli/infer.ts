import type { Command } from 'commander';
import { readSamples } from '../data/index.js';
import { TinygateError } from '../errors/index.js';
import { elementCount, TfliteInterpreter } from '../tflite/index.js';
import { readModelFile } from './model-file.js';
import { action, type JsonFlag, report } from './output.js';

interface InferOptions extends JsonFlag {
  input: string;
  raw?: boolean;
}

export function registerInfer(program: Command): void {
  program
    .command('infer <model>')
    .description('run inputs through the TFLite interpreter and print the outputs')
    .requiredOption('--input <file>', 'samples: .csv (one per row), .npy or .json')
    .option('--raw', 'int8 models: inputs are already quantized and outputs stay quantized')
    .option('--json', 'print one JSON document')
    .action(
      action(async (path: string, opts: InferOptions) => {
        const interpreter = await TfliteInterpreter.load(readModelFile(path));
        try {
          if (interpreter.inputs.length !== 1) {
            throw new TinygateError(
              'UNSUPPORTED_MODEL',
              `infer runs models with one input; ${path} has ${interpreter.inputs.length}`,
              { hint: 'Use the TfliteInterpreter API from code for multi-input models.' },
            );
          }
          const spec = interpreter.inputs[0]!;
          const samples = readSamples(opts.input, elementCount(spec.shape));
          const outputs = samples.map((s) => {
            // --raw: the file already holds the integer values the model takes.
            const input = opts.raw ? rawInput(spec.type, s) : interpreter.quantizeInput(0, s);
            return interpreter
              .run(input)
              .map((y, i) => Array.from(opts.raw ? y : interpreter.dequantizeOutput(i, y)));
          });
          report(
            opts,
            {
              model: path,
              inputs: interpreter.inputs,
              outputs: interpreter.outputs,
              quantized: !opts.raw && spec.quantization !== null,
              results: outputs,
            },
            () =>
              outputs
                .map((o) => o.map((y) => y.map((v) => +v.toPrecision(6)).join(',')).join(' | '))
                .join('\n'),
          );
        } finally {
          interpreter.close();
        }
      }),
    );
}

function rawInput(type: string, s: Float32Array) {
  if (type === 'int8') return Int8Array.from(s, (v) => Math.max(-128, Math.min(127, Math.round(v))));
  if (type === 'uint8') return Uint8Array.from(s, (v) => Math.max(0, Math.min(255, Math.round(v))));
  return s;
}
