// Streaming mode on the host firmware: the board samples its own analog channels, runs the model on each
// window and sends a score. With constant inputs the window is known exactly, so each score must be the
// reconstruction error computed here from TFLite's reference kernels, in the board's float32 arithmetic.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flashModel,
  type HostBoard,
  type Link,
  openLink,
  type StreamScore,
  startHostBoard,
  startStream,
} from '../../src/link/index.js';
import { readTflite } from '../../src/tflite/index.js';
import { Int8Graph } from '../helpers/int8-graph.js';
import { referenceInt8 } from '../helpers/tflite-reference.js';
import { rng } from '../tflite/reference.js';

const W = 8; // samples per channel in a window
const VOLTS = [1.0, 2.0, 3.0]; // A0-A2: 205, 410, 614 counts of a 10-bit ADC at 5 V

/** A dense int8 autoencoder over a [8 samples][3 channels] window. */
function denseAutoencoder(): Uint8Array {
  const g = new Int8Graph();
  const next = rng(41);
  const x = g.tensor([1, 3 * W], 0.05, -10);
  const w = g.tensor(
    [3 * W, 3 * W],
    0.01,
    0,
    Int8Array.from({ length: 9 * W * W }, () => Math.round((next() - 0.5) * 200)),
  );
  const b = g.tensor(
    [3 * W],
    0,
    0,
    Int32Array.from({ length: 3 * W }, () => Math.round((next() - 0.5) * 2000)),
  );
  const y = g.op(9, 4, [x, w, b], g.tensor([1, 3 * W], 0.06, 5), {
    type: 'FullyConnectedOptions',
    fusedActivation: 'NONE',
    weightsFormat: 0,
    keepNumDims: false,
    asymmetricQuantizeInputs: false,
    quantizedBiasType: 'float32',
  } as never);
  return g.build(x, y);
}

let hb: HostBoard;
let link: Link;
beforeAll(async () => {
  const scenario = join(mkdtempSync(join(tmpdir(), 'tg-stream-')), 'constant.csv');
  writeFileSync(scenario, `t,A0,A1,A2\n0,${VOLTS.join(',')}\n1,${VOLTS.join(',')}\n`);
  hb = await startHostBoard({ scenario });
  link = await openLink({ path: hb.path });
}, 120_000);
afterAll(async () => {
  await link?.close();
  await hb?.stop();
});

describe('streaming mode (host firmware)', () => {
  it('scores its own windows with the reconstruction error of the model, and stops when asked', async () => {
    const model = denseAutoencoder();
    await flashModel(link, model);
    const scores: StreamScore[] = [];
    const gain = 0.01;
    const offset = 300;
    const stream = await startStream(link, {
      channels: [0, 1, 2],
      intervalMs: 1,
      hop: W,
      score: 'reconstruction',
      gain,
      offset,
    });
    stream.on('score', (s) => scores.push(s));
    await new Promise((r) => setTimeout(r, 400));
    await stream.stop();
    const after = scores.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(scores.length).toBe(after); // nothing after the stop
    // 1 kHz, a window every 8 samples: about 50 in 400 ms (the host's clock is real time).
    expect(scores.length).toBeGreaterThan(20);
    expect(scores.map((s) => s.sequence).slice(0, 3)).toEqual([1, 2, 3]);

    // The window the board saw: each channel's counts quantized with the model's input scale.
    const f = Math.fround;
    const k = f(f(gain) / f(0.05));
    const q = VOLTS.map((v) => {
      const counts = Math.round((v / 5) * 1024);
      const real = f(f(counts - offset) * k);
      return Math.max(
        -128,
        Math.min(127, (real >= 0 ? Math.trunc(real + 0.5) : -Math.trunc(-real + 0.5)) - 10),
      );
    });
    const x = Int8Array.from({ length: 3 * W }, (_, i) => q[i % 3]!);
    const y = referenceInt8(readTflite(model), x);
    let sum = 0;
    for (let i = 0; i < x.length; i++) {
      const d = f(f(f(0.06) * (y[i]! - 5)) - f(f(0.05) * (x[i]! + 10)));
      sum = f(sum + f(d * d));
    }
    const want = f(sum / x.length);
    for (const s of scores) {
      expect(s.ok).toBe(true);
      expect(s.score).toBe(want);
    }
  }, 60_000);

  it('refuses settings that do not fit the model, and a board without a runnable model', async () => {
    await flashModel(link, denseAutoencoder());
    // 24 inputs are not a whole number of windows of 5 channels; a hop longer than the window.
    await expect(
      startStream(link, { channels: [0, 1, 2, 3, 4], intervalMs: 1, hop: 1, score: 'reconstruction' }),
    ).rejects.toThrow(/refused the stream settings/);
    await expect(
      startStream(link, { channels: [0, 1, 2], intervalMs: 1, hop: 9, score: 'output' }),
    ).rejects.toThrow(/refused/);
    const g = new Int8Graph();
    const t = g.tensor([1, 8], 0.1, 0);
    await flashModel(link, g.build(t, g.op(117, 1, [t], g.tensor([1, 8], 0.1, 0), null)));
    await expect(
      startStream(link, { channels: [0], intervalMs: 1, hop: 1, score: 'output' }),
    ).rejects.toThrow(/no runnable model/);
  }, 60_000);
});
