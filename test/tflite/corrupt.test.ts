// Damaged files: every one gives a clear TinygateError (or reads cleanly when the damage hit only
// weights), never a crash, a hang or a RangeError from deep inside flatbuffers.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { isTinygateError } from '../../src/errors/index.js';
import { Model } from '../../src/tflite/generated/tflite/model.js';
import { readTflite } from '../../src/tflite/index.js';
import { ROOT } from '../helpers/cli.js';
import { haveReferenceModels, referenceModel, rng } from './reference.js';

function outcome(bytes: Uint8Array): 'ok' | string {
  try {
    readTflite(bytes);
    return 'ok';
  } catch (err) {
    if (!isTinygateError(err)) throw err;
    expect(err.message.length).toBeGreaterThan(20);
    expect(err.hint).toBeTruthy();
    return err.code;
  }
}

// Our own shipped int8 model is always there; Google's DS-CNN adds variety when ../shared is present.
const original = new Uint8Array(readFileSync(join(ROOT, 'models', 'motor-vib', 'model.int8.tflite')));
const big = haveReferenceModels ? referenceModel('kws_int8') : original;

describe('reading corrupt TFLite files', () => {
  it('refuses a file with the wrong identifier, saying which bytes', () => {
    const bytes = original.slice();
    bytes.set([0x54, 0x46, 0x4c, 0x32], 4); // "TFL2"
    expect(() => readTflite(bytes)).toThrow(/file identifier is "TFL2" \(bytes 4–7\), expected "TFL3"/);
    expect(() => readTflite(new TextEncoder().encode('{"format":"layers-model"}'))).toThrow(
      /not a TFLite model/,
    );
  });

  it('gives a clear error for truncation at 50 random offsets, within a second each', () => {
    const next = rng(42);
    for (const file of [original, big]) {
      for (let i = 0; i < 25; i++) {
        const cut = Math.floor(next() * file.length);
        const started = performance.now();
        const code = outcome(file.slice(0, cut));
        expect(code, `cut at ${cut}`).toMatch(/^TFLITE_/);
        expect(performance.now() - started).toBeLessThan(1000);
      }
    }
  });

  it('never crashes or hangs on random byte flips (200 files)', () => {
    const next = rng(7);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const file = i % 2 ? original : big;
      const bytes = file.slice();
      const flips = 1 + Math.floor(next() * 8);
      for (let f = 0; f < flips; f++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      const started = performance.now();
      const code = outcome(bytes);
      expect(code === 'ok' || code.startsWith('TFLITE_'), code).toBe(true);
      expect(performance.now() - started).toBeLessThan(1000);
      seen.add(code);
    }
    // Most flips land in weights (still a valid file); some must have hit the structure.
    expect(seen.size).toBeGreaterThan(1);
  });

  // Edit one field in place through the generated accessors, so the damage is exactly what we say.
  function edit(fn: (m: Model, bytes: Uint8Array, view: DataView) => void): Uint8Array {
    const bytes = original.slice();
    const m = Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
    fn(m, bytes, new DataView(bytes.buffer));
    return bytes;
  }
  const tensorField = (m: Model, t: number, vtableOffset: number) => {
    const tensor = m.subgraphs(0)!.tensors(t)!;
    const at = tensor.bb!.__offset(tensor.bb_pos, vtableOffset);
    expect(at).toBeGreaterThan(0);
    return tensor.bb_pos + at;
  };

  it('names tensor and buffer when data length does not match shape × type', () => {
    const m = readTflite(original);
    const bias = m.subgraphs[0]!.tensors.findIndex((t) => t.type === 'int32' && t.shape[0] === 16);
    const name = m.subgraphs[0]!.tensors[bias]!.name;
    const buffer = m.subgraphs[0]!.tensors[bias]!.buffer;
    const bytes = edit((model) => {
      model.subgraphs(0)!.tensors(bias)!.shapeArray()![0] = 32;
    });
    expect(() => readTflite(bytes)).toThrow(
      `subgraph 0 tensor ${bias} ${JSON.stringify(name)}: buffer ${buffer} holds 64 bytes, shape [32] int32 needs 128`,
    );
  });

  it('names the tensor whose buffer index is out of range, and an unknown tensor type', () => {
    const m = readTflite(original);
    const n = m.buffers.length;
    // A constant tensor: its buffer and type fields are both present in the file.
    const t = m.subgraphs[0]!.tensors.findIndex((x) => x.buffer > 0 && x.type === 'int8');
    const name = JSON.stringify(m.subgraphs[0]!.tensors[t]!.name);
    const withBadBuffer = edit((model, _b, view) => view.setUint32(tensorField(model, t, 8), 999, true));
    expect(() => readTflite(withBadBuffer)).toThrow(
      `subgraph 0 tensor ${t} ${name}: buffer 999 is out of range (the model has ${n} buffers)`,
    );
    const withBadType = edit((model, bytes) => {
      bytes[tensorField(model, t, 6)] = 99;
    });
    expect(() => readTflite(withBadType)).toThrow(
      new RegExp(`subgraph 0 tensor ${t} ".*": unknown tensor type 99`),
    );
  });

  it('names the operator whose input tensor index is out of range', () => {
    const bytes = edit((model) => {
      model.subgraphs(0)!.operators(1)!.inputsArray()![0] = 500;
    });
    expect(() => readTflite(bytes)).toThrow(/subgraph 0 operator 1 input 0: tensor 500 is out of range/);
  });
});
