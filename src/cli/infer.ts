import type { Command } from 'commander';
import { readSamples } from '../data/index.js';
import { TinygateError } from '../errors/index.js';
import { elementCount, type TensorData, TfliteInterpreter } from '../tflite/index.js';
import { readModelFile } from './model-file.js';
import { action, type JsonFlag, report } from './output.js';

interface InferOptions extends JsonFlag {
  input: string;
  raw?: boolean;
  port?: string;
  baud: string;
}

export function registerInfer(program: Command): void {
  program
    .command('infer <model>')
    .description('run inputs through the TFLite interpreter and print the outputs')
    .requiredOption('--input <file>', 'samples: .csv (one per row), .npy or .json')
    .option('--raw', 'int8 models: inputs are already quantized and outputs stay quantized')
    .option(
      '--port <path>',
      'also run each input on the board at this port (its runtime, its active model) and compare',
    )
    .option('--baud <n>', 'baud rate for --port', '115200')
    .option('--json', 'print one JSON document')
    .action(
      action(async (path: string, opts: InferOptions) => {
        const bytes = readModelFile(path);
        const interpreter = await TfliteInterpreter.load(bytes);
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
          const board = opts.port
            ? await onBoard(
                opts.port,
                Number(opts.baud),
                bytes,
                samples,
                (s) => (opts.raw ? rawInput(spec.type, s) : interpreter.quantizeInput(0, s)),
                (y) => Array.from(opts.raw ? y : interpreter.dequantizeOutput(0, y)),
                interpreter.outputs[0]!.type,
              )
            : null;
          const diffs = board
            ? outputs.map((o, i) => Math.max(...o[0]!.map((v, k) => Math.abs(v - board.results[i]![k]!))))
            : null;
          report(
            opts,
            {
              model: path,
              inputs: interpreter.inputs,
              outputs: interpreter.outputs,
              quantized: !opts.raw && spec.quantization !== null,
              results: outputs,
              ...(board
                ? {
                    board: {
                      port: opts.port,
                      results: board.results,
                      micros: board.micros,
                      maxAbsDiff: diffs,
                    },
                  }
                : {}),
            },
            () =>
              outputs
                .map((o, i) => {
                  const ours = o.map((y) => y.map((v) => +v.toPrecision(6)).join(',')).join(' | ');
                  if (!board) return ours;
                  const theirs = board.results[i]!.map((v) => +v.toPrecision(6)).join(',');
                  return `gateway ${ours}\nboard   ${theirs}   (max |diff| ${diffs![i]!.toPrecision(3)}, ${board.micros[i]} µs on the board)`;
                })
                .join('\n'),
          );
        } finally {
          interpreter.close();
        }
      }),
    );
}

/** Run every sample on the board's own runtime, after checking it holds this very model. */
async function onBoard(
  port: string,
  baudRate: number,
  model: Uint8Array,
  samples: Float32Array[],
  encode: (s: Float32Array) => ArrayBufferView,
  decode: (y: TensorData) => number[],
  outputType: string,
) {
  const { activeSlot, crc32, modelInfo, openLink, runOnBoard, runtimeStatus } = await import(
    '../link/index.js'
  );
  const link = await openLink({ path: port, baudRate });
  try {
    const active = activeSlot(await modelInfo(link));
    if (!active || active.crc32 !== crc32(model)) {
      throw new TinygateError('BOARD_MODEL_DIFFERS', `${port}: the board's active model is not this file`, {
        hint: 'Flash it first: tinygate flash <model> --port <port>.',
      });
    }
    const status = await runtimeStatus(link);
    if (status.state !== 'ready') {
      throw new TinygateError(
        'BOARD_RUNTIME',
        `${port}: the board's runtime cannot run this model: ${status.error ?? status.state}`,
        {
          hint: 'docs/protocol.md lists the ops the on-board runtime has today.',
        },
      );
    }
    const results: number[][] = [];
    const micros: number[] = [];
    for (const s of samples) {
      const x = encode(s);
      const r = await runOnBoard(link, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      const y =
        outputType === 'float32'
          ? new Float32Array(r.output.slice().buffer)
          : new Int8Array(r.output.buffer, r.output.byteOffset, r.output.length);
      results.push(decode(y));
      micros.push(r.micros);
    }
    return { results, micros };
  } finally {
    await link.close();
  }
}

function rawInput(type: string, s: Float32Array) {
  if (type === 'int8') return Int8Array.from(s, (v) => Math.max(-128, Math.min(127, Math.round(v))));
  if (type === 'uint8') return Uint8Array.from(s, (v) => Math.max(0, Math.min(255, Math.round(v))));
  return s;
}
