// Flash a model to one or more boards, run the same random int8 inputs on each, and compare the first
// board's output element by element with TFLite's reference kernels (an independent implementation),
// the official interpreter in Node, and the other boards. Throws when a board cannot run the model.
import {
  flashModel,
  type Link,
  type RuntimeStatus,
  runOnBoard,
  runtimeStatus,
} from '../../src/link/index.js';
import { readTflite, TfliteInterpreter } from '../../src/tflite/index.js';
import { rng } from '../tflite/reference.js';
import { referenceInt8 } from './tflite-reference.js';

export interface BoardComparison {
  status: RuntimeStatus;
  outputsCompared: number;
  /** Elements of the first board's output that differ from the reference kernels'. */
  referenceMismatches: number;
  /** Elements where another board's output differs from the first's. */
  otherBoardMismatches: number;
  /** Shares of elements equal (within one) to the official interpreter's; null when it refuses the model. */
  exactShare: number | null;
  withinOneShare: number | null;
  /** Why the official interpreter refused the model (person_detect's bias quantized_dimension), or null. */
  interpreterRefused: string | null;
  /** Different output vectors seen: the input reaches the output. */
  distinctOutputs: number;
  /** Per board, the inference time it reported for each input (µs). */
  micros: number[][];
  /** Each input and the first board's output for it, for a peer to run the same inputs. */
  samples: { input: Uint8Array; output: Uint8Array }[];
}

export async function compareOnBoards(
  model: Uint8Array,
  boards: Link[],
  /** `flash: false` when the boards already hold the model (default: flash it). */
  o: { n: number; seed: number; spread?: number; flash?: boolean },
): Promise<BoardComparison> {
  if (o.flash !== false) await Promise.all(boards.map((b) => flashModel(b, model)));
  const statuses = await Promise.all(boards.map((b) => runtimeStatus(b)));
  const status = statuses[0]!;
  if (status.state !== 'ready') throw new Error(`the board's runtime is ${status.state}: ${status.error}`);
  for (const s of statuses.slice(1)) {
    if (s.arenaBytes !== status.arenaBytes)
      throw new Error(`boards plan different arenas: ${s.arenaBytes} vs ${status.arenaBytes} B`);
  }
  // The interpreter is one judge of three (with the reference kernels and the other boards): a model it
  // refuses is still compared with the others.
  let interpreter: TfliteInterpreter | null = null;
  let interpreterRefused: string | null = null;
  try {
    interpreter = await TfliteInterpreter.load(model);
  } catch (err) {
    interpreterRefused = (err as Error).message;
  }
  const parsed = readTflite(model);
  const next = rng(o.seed);
  const spread = o.spread ?? 160;
  const r = { total: 0, exact: 0, withinOne: 0, reference: 0, others: 0 };
  const distinct = new Set<string>();
  const micros: number[][] = boards.map(() => []);
  const samples: BoardComparison['samples'] = [];
  try {
    for (let k = 0; k < o.n; k++) {
      const x = Int8Array.from({ length: status.inputBytes }, () =>
        Math.max(-128, Math.min(127, Math.round((next() - 0.5) * spread))),
      );
      const outputs: Int8Array[] = [];
      for (const [i, b] of boards.entries()) {
        const got = await runOnBoard(b, new Uint8Array(x.buffer));
        micros[i]!.push(got.micros);
        outputs.push(new Int8Array(got.output.buffer, got.output.byteOffset, got.output.length));
      }
      const y = outputs[0]!;
      samples.push({
        input: new Uint8Array(x.buffer),
        output: new Uint8Array(y.buffer, y.byteOffset, y.length),
      });
      const ref = referenceInt8(parsed, x);
      const want = (interpreter?.run(x)[0] as Int8Array | undefined) ?? ref;
      if (y.length !== want.length)
        throw new Error(`the board gave ${y.length} outputs, the interpreter ${want.length}`);
      distinct.add(y.join(','));
      for (let i = 0; i < y.length; i++) {
        r.total++;
        if (y[i] !== ref[i]) r.reference++;
        if (y[i] === want[i]) r.exact++;
        if (Math.abs(y[i]! - want[i]!) <= 1) r.withinOne++;
        for (const other of outputs.slice(1)) if (other[i] !== y[i]) r.others++;
      }
    }
  } finally {
    interpreter?.close();
  }
  return {
    status,
    outputsCompared: r.total,
    referenceMismatches: r.reference,
    otherBoardMismatches: r.others,
    exactShare: interpreter ? r.exact / r.total : null,
    withinOneShare: interpreter ? r.withinOne / r.total : null,
    interpreterRefused,
    distinctOutputs: distinct.size,
    micros,
    samples,
  };
}
