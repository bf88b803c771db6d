import type { Command } from 'commander';
import { readSamples } from '../data/index.js';
import { TinygateError } from '../errors/index.js';
import { elementCount, type TensorData, TfliteInterpreter } from '../tflite/index.js';
import { readModelFile } from './model-file.js';
import { action, type JsonFlag, report } from './output.js';

interface InferOptions extends JsonFlag {
  input: string[];
  raw?: boolean;
  port?: string;
  baud: string;
}

export function registerInfer(program: Command): void {
  program
    .command('infer <model>')
    .description('run inputs through the TFLite interpreter and print the outputs')
    .requiredOption(
      '--input <file>',
      "samples: .csv (one per row), .npy or .json; once per model input, in the model's input order",
      (file: string, files: string[]) => [...files, file],
      [] as string[],
    )
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
          const specs = interpreter.inputs;
          const perInput = samplesPerInput(path, opts.input, specs);
          // --raw: the file already holds the integer values the model takes.
          const encode = (k: number, s: Float32Array) =>
            opts.raw ? rawInput(specs[k]!.type, s) : interpreter.quantizeInput(k, s);
          const outputs = perInput[0]!.map((_, n) =>
            interpreter
              .run(perInput.map((samples, k) => encode(k, samples[n]!)))
              .map((y, i) => Array.from(opts.raw ? y : interpreter.dequantizeOutput(i, y))),
          );
          if (opts.port && specs.length > 1) {
            throw new TinygateError(
              'BOARD_MULTI_INPUT',
              `${path} takes ${specs.length} inputs; the board runtime runs models with one input and one output`,
              { hint: 'Run it without --port: the interpreter on the gateway takes every input.' },
            );
          }
          const board = opts.port
            ? await onBoard(
                opts.port,
                Number(opts.baud),
                bytes,
                perInput[0]!,
                (s) => encode(0, s),
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
              quantized: !opts.raw && specs.some((x) => x.quantization !== null),
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
      const y = typedOutput(outputType, r.output);
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

/** Each --input file read as the samples of the model input at its place; every file must hold as many. */
function samplesPerInput(
  path: string,
  files: string[],
  specs: { name: string; shape: number[]; type: string }[],
): Float32Array[][] {
  if (files.length !== specs.length) {
    const list = specs.map((s, i) => `${i}: "${s.name}" ${s.type} [${s.shape}]`).join(', ');
    throw new TinygateError(
      'INFER_INPUT_COUNT',
      `${path} takes ${specs.length} input(s) (${list}); ${files.length} --input file(s) given`,
      { hint: 'Give one --input file per model input, in this order.' },
    );
  }
  const per = files.map((f, k) => readSamples(f, elementCount(specs[k]!.shape)));
  const counts = per.map((p) => p.length);
  if (new Set(counts).size > 1) {
    throw new TinygateError(
      'INFER_INPUT_COUNT',
      `the --input files hold different numbers of samples (${files.map((f, k) => `${f}: ${counts[k]}`).join(', ')})`,
      { hint: 'Sample n of every file is one inference: give each file as many samples.' },
    );
  }
  return per;
}

/** The board's output bytes as the model's output type (int8, int16, int32 or float32). */
function typedOutput(type: string, bytes: Uint8Array): TensorData {
  const copy = bytes.slice().buffer;
  if (type === 'float32') return new Float32Array(copy);
  if (type === 'int16') return new Int16Array(copy);
  if (type === 'int32') return new Int32Array(copy);
  if (type === 'uint8') return new Uint8Array(copy);
  return new Int8Array(copy);
}
