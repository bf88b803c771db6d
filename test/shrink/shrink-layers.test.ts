// Shrinking a tfjs Layers model tinygate did not train: a small Conv2D + SeparableConv2D classifier built
// here is cut to a byte budget by pruning its channels (the separable layer's pointwise filters with the
// depthwise channels feeding them) and distilling, judged on fidelity to the float teacher; its int8 file
// runs in the official TFLite interpreter and follows the teacher within the gate. Removed channels'
// means fold into the next bias exactly; layers shrink cannot prune through are refused by name.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import { convertModel } from '../../src/convert/index.js';
import { saveLayersModel } from '../../src/detect/model-dir.js';
import { tf, tfl, tfReady } from '../../src/detect/tf.js';
import { pruneChain, readChain } from '../../src/shrink/layers-prune.js';
import { loadLayers } from '../../src/shrink/shrink-layers.js';
import { Rng } from '../../src/sim/rng.js';
import { fitOnBoard, inspectModel, readTflite, TfliteInterpreter } from '../../src/tflite/index.js';
import { runCli } from '../helpers/cli.js';
import { pictures } from '../helpers/pictures.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-shrink-layers-'));
const SIDE = 12;

function classifier(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [SIDE, SIDE, 1],
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    tfl.layers.separableConv2d({
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      pointwiseInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
    }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  // Wide enough that weights, not the flatbuffer's per-tensor tables, make most of the int8 file.
  m.add(
    tfl.layers.dense({
      units: 32,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }),
    }),
  );
  m.add(
    tfl.layers.dense({
      units: 4,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }),
    }),
  );
  return m;
}

describe('tinygate shrink on a tfjs Conv2D / SeparableConv2D model it did not train', () => {
  const teacherDir = join(dir, 'pictures');
  const dataFile = join(dir, 'pictures.csv');
  let teacherBytes = 0;

  beforeAll(async () => {
    await tfReady();
    const { x, y } = pictures(400, 11);
    const m = classifier();
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const xs = tf.tensor4d(new Float32Array(x.flatMap((v) => [...v])), [x.length, SIDE, SIDE, 1]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 4);
    await m.fit(xs, ys, { epochs: 8, batchSize: 32, verbose: 0 });
    tf.dispose([xs, ys]);
    await saveLayersModel(m, teacherDir);
    m.dispose();
    writeFileSync(dataFile, `${x.map((v) => Array.from(v, (n) => n.toFixed(4)).join(',')).join('\n')}\n`);
    teacherBytes = (await convertModel({ model: teacherDir, calib: dataFile })).bytes.length;
  }, 120_000);

  it('fits a byte budget at about half the teacher, and its int8 file follows the teacher in the TFLite interpreter', async () => {
    const out = join(dir, 'pictures-small');
    const target = Math.floor(teacherBytes * 0.6);
    const args = [
      ...['shrink', teacherDir, '--board', 'qemu-mps2-an385', '--data', dataFile],
      ...['--target-bytes', String(target), '--epochs', '12', '--min-agreement', '0.95', '-o', out],
    ];
    const r = await runCli([...args, '--json'], { timeoutMs: 400_000 });
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.judge).toBe('fidelity');
    expect(rep.gate.classifier).toBe(true);
    const teacherRow = rep.candidates.find((c: { method: string }) => c.method === 'teacher');
    expect(teacherRow.int8Bytes).toBe(teacherBytes);
    // Pruned alone and pruned then distilled, side by side at every size.
    for (const m of ['pruned', 'pruned+distilled'])
      expect(rep.candidates.filter((c: { method: string }) => c.method === m).length).toBeGreaterThanOrEqual(
        4,
      );
    const bytes = new Uint8Array(readFileSync(join(out, 'model.int8.tflite')));
    expect(bytes.length).toBe(rep.chosen.int8Bytes);
    expect(bytes.length).toBeLessThanOrEqual(target);
    expect(rep.chosen.widths[0]).toBeLessThan(16);
    expect(rep.chosen.widths[1]).toBeLessThan(32);
    expect(rep.chosen.widths[2]).toBeLessThan(32);
    // Still a convolution and a separable one (depthwise + 1×1 convolution) for the converter and boards.
    const model = readTflite(bytes);
    const info = inspectModel(model, bytes.length);
    expect(info.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['CONV_2D', 'DEPTHWISE_CONV_2D']));
    expect(fitOnBoard(findBoard('qemu-mps2-an385'), info.needs).fits).toBe(true);
    // Fidelity measured here, apart from the shrink code: the float teacher in tfjs against the student's
    // int8 file in the official interpreter, on pictures neither saw.
    const fresh = pictures(200, 99).x;
    const teacher = await tfl.loadLayersModel(
      tf.io.fromMemory(
        (() => {
          const doc = JSON.parse(readFileSync(join(teacherDir, 'model.json'), 'utf8'));
          const w = readFileSync(join(teacherDir, 'weights.bin'));
          return {
            modelTopology: doc.modelTopology,
            weightSpecs: doc.weightsManifest[0].weights,
            weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength),
          };
        })(),
      ),
    );
    const it8 = await TfliteInterpreter.load(bytes);
    let agree = 0;
    for (const x of fresh) {
      const t = teacher.predict(tf.tensor4d(x, [1, SIDE, SIDE, 1])) as tf.Tensor;
      const want = (tf.argMax(t, -1).dataSync() as Int32Array)[0];
      const y = it8.dequantizeOutput(0, it8.run(it8.quantizeInput(0, x))[0]!);
      if (y.indexOf(Math.max(...y)) === want) agree++;
      t.dispose();
    }
    it8.close();
    teacher.dispose();
    expect(agree / fresh.length).toBeGreaterThanOrEqual(0.93);
    expect(rep.chosen.fidelity.top1Agreement).toBeGreaterThanOrEqual(0.95);
    // The human output names the judge.
    const human = JSON.parse(readFileSync(join(out, 'shrink-report.json'), 'utf8'));
    expect(human.chosen.int8Bytes).toBe(bytes.length);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('fidelity to the float teacher');
    expect(readFileSync(join(out, 'shrink.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\n$/);
  }, 400_000);

  it('refuses a layer it cannot prune through, naming it and what it supports', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, padding: 'same' }));
    m.add(tfl.layers.upSampling2d({ size: [2, 2] }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 2 }));
    const bad = join(dir, 'upsampling');
    await saveLayersModel(m, bad);
    const samples = join(dir, 'six.csv');
    writeFileSync(
      samples,
      `${Array.from({ length: 60 }, (_, i) =>
        Array(36)
          .fill(i / 60)
          .join(','),
      ).join('\n')}\n`,
    );
    const r = await runCli(['shrink', bad, '--board', 'qemu-mps2-an385', '--data', samples, '--json'], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe('SHRINK_UNSUPPORTED');
    expect(error.message).toMatch(/layer 1 "[^"]+" \(UpSampling2D\)/);
    expect(error.message).toContain('SeparableConv2D');
  }, 60_000);

  it('convert --fit shrinks a model too big for the board and writes the student, judged on fidelity', async () => {
    // 75 k parameters, mostly one dense layer: about 77 KB int8, over the emulated STM32F405's 64,992-byte slot.
    const m = tfl.sequential();
    m.add(
      tfl.layers.conv2d({
        inputShape: [SIDE, SIDE, 1],
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 7 }),
      }),
    );
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(
      tfl.layers.dense({
        units: 256,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 8 }),
      }),
    );
    m.add(
      tfl.layers.dense({
        units: 4,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 9 }),
      }),
    );
    const { x, y } = pictures(400, 11);
    m.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' });
    const xs = tf.tensor4d(new Float32Array(x.flatMap((v) => [...v])), [x.length, SIDE, SIDE, 1]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 4);
    await m.fit(xs, ys, { epochs: 6, batchSize: 32, verbose: 0 });
    tf.dispose([xs, ys]);
    const big = join(dir, 'wide');
    await saveLayersModel(m, big);
    m.dispose();
    const out = join(dir, 'wide.int8.tflite');
    const board = findBoard('qemu-netduinoplus2');
    const r = await runCli(
      ['convert', big, '--calib', dataFile, '--board', board.id, '--fit', '-o', out, '--json'],
      { timeoutMs: 400_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.shrunk.judge).toBe('fidelity');
    const teacherRow = rep.shrunk.candidates.find((c: { method: string }) => c.method === 'teacher');
    expect(teacherRow.int8Bytes).toBeGreaterThan(board.modelBudget.flashBytes);
    const bytes = new Uint8Array(readFileSync(out));
    expect(bytes.length).toBe(rep.shrunk.chosen.int8Bytes);
    expect(fitOnBoard(board, inspectModel(readTflite(bytes), bytes.length).needs).fits).toBe(true);
    expect(rep.shrunk.chosen.fidelity.top1Agreement).toBeGreaterThanOrEqual(0.99);
  }, 400_000);

  it('says what to pass when no --data is given', async () => {
    const r = await runCli(['shrink', teacherDir, '--board', 'qemu-mps2-an385', '--json'], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe('SHRINK_NO_DATA');
    expect(error.hint).toContain('--data');
  }, 60_000);
});

describe('pruning Conv2D and SeparableConv2D channels', () => {
  it('drops a dead and a constant channel of each with the same outputs (their means folded into the next bias)', async () => {
    await tfReady();
    const rng = new Rng(4);
    const m = tfl.sequential();
    m.add(
      tfl.layers.conv2d({
        inputShape: [8, 8, 2],
        filters: 6,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
      }),
    );
    m.add(
      tfl.layers.separableConv2d({
        filters: 5,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
        depthMultiplier: 2,
      }),
    );
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 3 }));
    const rand = (shape: number[], scale = 0.5) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => (rng.next() * 2 - 1) * scale),
        shape,
      );
    const [conv, sep, dense] = [m.layers[0]!, m.layers[1]!, m.layers[3]!];
    // Conv2D filter 0 is dead (never above zero), filter 1 is a constant 0.7 that the next layer barely uses.
    const k = rand([3, 3, 2, 6]).bufferSync();
    const b = rand([6], 0.1).bufferSync();
    for (let i = 0; i < 18; i++) {
      k.set(0, Math.floor(i / 6), Math.floor(i / 2) % 3, i % 2, 0);
      k.set(0, Math.floor(i / 6), Math.floor(i / 2) % 3, i % 2, 1);
    }
    b.set(-1, 0);
    b.set(0.7, 1);
    conv.setWeights([k.toTensor(), b.toTensor()]);
    const dw = rand([3, 3, 6, 2]).bufferSync();
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) for (let q = 0; q < 2; q++) dw.set(dw.get(r, c, 1, q) * 0.01, r, c, 1, q);
    // SeparableConv2D pointwise filter 2 is dead, filter 4 is a constant 0.5.
    const pw = rand([1, 1, 12, 5]).bufferSync();
    const sb = rand([5], 0.1).bufferSync();
    for (let i = 0; i < 12; i++) {
      pw.set(0, 0, 0, i, 2);
      pw.set(0, 0, 0, i, 4);
    }
    sb.set(-1, 2);
    sb.set(0.5, 4);
    sep.setWeights([dw.toTensor(), pw.toTensor(), sb.toTensor()]);
    const dk = rand([4 * 4 * 5, 3]).bufferSync();
    for (let p = 0; p < 16; p++)
      for (let j = 0; j < 3; j++) dk.set(dk.get(p * 5 + 4, j) * 0.01, p * 5 + 4, j);
    dense.setWeights([dk.toTensor(), rand([3], 0.1)]);
    const chain = readChain(m);
    expect(chain.prunable.map((p) => [p.className, p.width])).toEqual([
      ['Conv2D', 6],
      ['SeparableConv2D', 5],
    ]);
    const x = rand([40, 8, 8, 2], 1);
    const pruned = await pruneChain(m, chain, 0.6, x);
    expect(pruned.widths).toEqual([4, 3]);
    const want = (m.predict(x) as tf.Tensor).dataSync();
    const got = (pruned.model.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
    expect(pruned.model.countParams()).toBeLessThan(m.countParams());
  });

  it('slices the DepthwiseConv2D and BatchNormalization between a Conv2D and the Dense layer it feeds', async () => {
    await tfReady();
    const rng = new Rng(6);
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 5, kernelSize: 3, activation: 'relu' }));
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: 2, activation: 'relu' }));
    m.add(tfl.layers.batchNormalization({}));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 2 }));
    const rand = (shape: number[], scale = 0.5) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => (rng.next() * 2 - 1) * scale),
        shape,
      );
    // Filter 3 never fires; the depthwise and batch-norm layers carry its (zero) channel to the dense layer.
    const k = rand([3, 3, 1, 5]).bufferSync();
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) k.set(0, r, c, 0, 3);
    const b = rand([5], 0.1).bufferSync();
    b.set(-1, 3);
    m.layers[0]!.setWeights([k.toTensor(), b.toTensor()]);
    m.layers[2]!.setWeights([
      tf.add(rand([5], 1), 1.5),
      rand([5], 0.3),
      rand([5], 0.3),
      tf.add(rand([5], 0.2), 1),
    ]);
    const chain = readChain(m);
    expect(chain.prunable).toEqual([
      expect.objectContaining({ className: 'Conv2D', width: 5, channelwise: [1, 2], consumer: 4 }),
    ]);
    const x = rand([30, 6, 6, 1], 1);
    const pruned = await pruneChain(m, chain, 0.8, x);
    expect(pruned.widths).toEqual([4]);
    const want = (m.predict(x) as tf.Tensor).dataSync();
    const got = (pruned.model.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
  });

  it('loads a SeparableConv2D with a depth multiplier that tfjs saved without it', async () => {
    await tfReady();
    const m = tfl.sequential();
    m.add(
      tfl.layers.separableConv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, depthMultiplier: 2 }),
    );
    const saved = join(dir, 'multiplier');
    await saveLayersModel(m, saved);
    const back = await loadLayers(saved);
    const x = tf.ones([1, 5, 5, 2]);
    expect(Array.from((back.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((m.predict(x) as tf.Tensor).dataSync()),
    );
  });

  it('refuses a branching model by the layer that joins the branches', async () => {
    await tfReady();
    const input = tfl.input({ shape: [4, 4, 1] });
    const a = tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'join' }).apply([a, b]) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: sum });
    expect(() => readChain(m)).toThrow(
      /layer 2 "[^"]+" \(Conv2D\) is not fed by the layer before it only: shrink prunes chains of layers/,
    );
  });
});
