// Read → write → read on real TFLite files, judged structurally and by the official interpreter.
import { describe, expect, it } from 'vitest';
import {
  elementCount,
  readTflite,
  type TensorData,
  TfliteInterpreter,
  writeTflite,
} from '../../src/tflite/index.js';
import { haveReferenceModels, REFERENCE_MODELS, referenceModel, rng } from './reference.js';

// Typed-array views compare by content; everything else by value.
const plain = (x: unknown) =>
  JSON.parse(JSON.stringify(x, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));

describe.skipIf(!haveReferenceModels)('TFLite read/write round trip on the reference models', () => {
  for (const name of REFERENCE_MODELS) {
    it(`${name}: same structure after a rewrite, identical outputs on 100 random inputs`, async () => {
      const original = referenceModel(name);
      const model = readTflite(original);
      const rewritten = writeTflite(model);
      expect(plain(readTflite(rewritten))).toEqual(plain(model));
      // Constant data stays 16-byte aligned in the file we write (TFLite's force_align).
      const again = readTflite(rewritten);
      for (const b of again.buffers) if (b.data?.length) expect(b.data.byteOffset % 16).toBe(0);

      const a = await TfliteInterpreter.load(original);
      const b = await TfliteInterpreter.load(rewritten);
      try {
        const spec = a.inputs[0]!;
        const next = rng(name.length * 7919);
        for (let i = 0; i < 100; i++) {
          const values = Array.from({ length: elementCount(spec.shape) }, () => next() * 4 - 2);
          const x = a.quantizeInput(0, values);
          const ya = a.run(x);
          const yb = b.run(x);
          expect(ya.length).toBe(a.outputs.length);
          for (const [j, y] of ya.entries()) expect(Array.from(yb[j] as TensorData)).toEqual(Array.from(y));
        }
      } finally {
        a.close();
        b.close();
      }
    }, 30_000);
  }
});

describe('TFLite round trip on our own shipped model (always present)', () => {
  it('models/motor-vib/model.int8.tflite reads, writes and runs identically', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers/cli.js');
    const original = new Uint8Array(readFileSync(join(ROOT, 'models', 'motor-vib', 'model.int8.tflite')));
    const model = readTflite(original);
    const rewritten = writeTflite(model);
    expect(plain(readTflite(rewritten))).toEqual(plain(model));
    const a = await TfliteInterpreter.load(original);
    const b = await TfliteInterpreter.load(rewritten);
    const next = rng(3);
    for (let i = 0; i < 100; i++) {
      const x = a.quantizeInput(
        0,
        Array.from({ length: 36 }, () => next() * 4 - 2),
      );
      expect(Array.from(b.run(x)[0]!)).toEqual(Array.from(a.run(x)[0]!));
    }
    a.close();
    b.close();
  });
});
