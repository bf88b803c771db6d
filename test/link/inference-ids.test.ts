// A slow answer must never be taken for another request's (docs/protocol.md, `10`/`50`): with the board
// stopped (SIGSTOP, as a long inference or a busy host holds it), the gateway sends the request again
// after each timeout; when the board comes back it answers every copy. Each answer carries its request's
// id, the board runs a repeated request once, and the next inferences still get their own outputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flashModel,
  type HostBoard,
  type Link,
  openLink,
  runOnBoard,
  startHostBoard,
} from '../../src/link/index.js';
import { readTflite } from '../../src/tflite/index.js';
import { fullyConnectedOptions, Int8Graph } from '../helpers/int8-graph.js';
import { referenceInt8 } from '../helpers/tflite-reference.js';
import { rng } from '../tflite/reference.js';

let hb: HostBoard;
let link: Link;
beforeAll(async () => {
  // A paced line (19,200 baud) delivers the answers to the copies one by one, as a real UART does.
  hb = await startHostBoard({ baud: 19_200 });
  link = await openLink({ path: hb.path });
}, 120_000);
afterAll(async () => {
  await link?.close();
  await hb?.stop();
});

/** A 64-input dense net (two chunks of input on the wire), one ReLU layer. */
function denseNet(seed: number) {
  const g = new Int8Graph();
  const next = rng(seed);
  const w = g.tensor(
    [24, 64],
    0.02,
    0,
    Int8Array.from({ length: 24 * 64 }, () => Math.round((next() - 0.5) * 200)),
  );
  const b = g.tensor(
    [24],
    0,
    0,
    Int32Array.from({ length: 24 }, () => Math.round((next() - 0.5) * 4000)),
  );
  const x = g.tensor([1, 64], 0.05, -3);
  const options = fullyConnectedOptions('RELU');
  const y = g.op(9, 4, [x, w, b], g.tensor([1, 24], 0.04, -128), options);
  return g.build(x, y);
}

describe('inference requests on a board that answers late', () => {
  it('never returns one request’s answer for another', async () => {
    const model = denseNet(5);
    await flashModel(link, model);
    const parsed = readTflite(model);
    const next = rng(9);
    const inputs = Array.from({ length: 4 }, () =>
      Int8Array.from({ length: 64 }, () => Math.round((next() - 0.5) * 250)),
    );
    const expected = inputs.map((x) => Array.from(referenceInt8(parsed, x)));
    // Different inputs, different outputs: a mixed-up answer would show.
    expect(new Set(expected.map((e) => e.join())).size).toBe(4);
    const run = (x: Int8Array) =>
      runOnBoard(link, new Uint8Array(x.buffer), { timeoutMs: 100, attempts: 20 }).then((r) =>
        Array.from(new Int8Array(r.output.buffer, r.output.byteOffset, 24)),
      );

    // The board stops while the first request is out: 4 copies of it (and of its chunks) pile up.
    hb.process.kill('SIGSTOP');
    const first = run(inputs[0]!);
    await new Promise((r) => setTimeout(r, 450));
    hb.process.kill('SIGCONT');
    expect(await first).toEqual(expected[0]);
    // The answers to the copies are still arriving; the next requests take only their own.
    for (let i = 1; i < 4; i++) expect(await run(inputs[i]!)).toEqual(expected[i]);
  }, 60_000);
});
