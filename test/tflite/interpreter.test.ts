import { afterAll, describe, expect, it } from 'vitest';
import {
  dequantize,
  emptyInput,
  Interpreter,
  quantize,
  readTflite,
  type TensorArray,
  writeTflite,
} from '../../src/tflite/index.js';
import { haveReferenceModels, REFERENCE_MODELS, referenceBytes } from '../helpers/reference-models.js';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInput(interpreter: Interpreter, next: () => number): TensorArray {
  const io = interpreter.inputs[0]!;
  const input = emptyInput(io);
  for (let i = 0; i < input.length; i++) {
    // Integer inputs span their whole range; float inputs a range these models see (±4).
    input[i] = io.type === 'int8' ? Math.floor(next() * 256) - 128 : (next() - 0.5) * 8;
  }
  return input;
}

function bytesOf(a: TensorArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const open: Interpreter[] = [];
async function load(bytes: Uint8Array): Promise<Interpreter> {
  const interpreter = await Interpreter.load(bytes);
  open.push(interpreter);
  return interpreter;
}
afterAll(() => {
  for (const i of open) i.dispose();
});

describe.skipIf(!haveReferenceModels)('the official TFLite interpreter', () => {
  for (const [n, name] of REFERENCE_MODELS.entries()) {
    it(`${name}: the rewritten file gives outputs identical to the original on 100 random inputs`, async () => {
      const original = referenceBytes(name);
      const a = await load(original);
      const b = await load(writeTflite(readTflite(original)));
      expect(b.inputs).toEqual(a.inputs);
      expect(b.outputs).toEqual(a.outputs);
      const next = rng(1000 + n);
      for (let i = 0; i < 100; i++) {
        const input = randomInput(a, next);
        const [outA] = a.run(input);
        const [outB] = b.run(input);
        expect(bytesOf(outB!).equals(bytesOf(outA!))).toBe(true);
      }
    });
  }

  it('describes int8 I/O with its quantization (ad01_int8)', async () => {
    const it8 = await load(referenceBytes('ad01_int8'));
    expect(it8.inputs).toHaveLength(1);
    const [input] = it8.inputs;
    expect(input).toMatchObject({ name: 'input_1', shape: [1, 640], type: 'int8', size: 640 });
    expect(input!.quantization!.scale).toBeCloseTo(0.391015, 5);
    expect(input!.quantization!.zeroPoint).toBe(89);
    expect(it8.outputs[0]!.quantization!.scale).toBeCloseTo(0.364498, 5);
    expect(it8.outputs[0]!.quantization!.zeroPoint).toBe(96);
  });

  it('runs the sine model: quantized x = π/2 comes back ≈ sin(π/2)', async () => {
    const hello = await load(referenceBytes('hello_world_int8'));
    const float = await load(referenceBytes('hello_world_float'));
    for (const x of [0.5, Math.PI / 2, 4]) {
      const [q] = hello.run(hello.quantizeInput([x]));
      expect(q).toBeInstanceOf(Int8Array);
      expect(hello.dequantizeOutput(q!)[0]).toBeCloseTo(Math.sin(x), 1);
      const [f] = float.run(Float32Array.of(x));
      expect(f![0]).toBeCloseTo(Math.sin(x), 1);
    }
  });

  it('runBatch gives what run gives, input by input', async () => {
    const ad = await load(referenceBytes('ad01_int8'));
    const next = rng(7);
    const batch = Array.from({ length: 5 }, () => randomInput(ad, next));
    const results = ad.runBatch(batch);
    expect(results).toHaveLength(5);
    batch.forEach((input, i) => {
      expect(Array.from(results[i]![0]!)).toEqual(Array.from(ad.run(input)[0]!));
    });
  });

  it('refuses floats for an int8 input, and the wrong length, with what to do', async () => {
    const ad = await load(referenceBytes('ad01_int8'));
    expect(() => ad.run(new Float32Array(640))).toThrow(
      expect.objectContaining({ code: 'TFLITE_INPUT', hint: expect.stringContaining('quantizeInput') }),
    );
    expect(() => ad.run(new Int8Array(639))).toThrow(/takes 640 values, got 639/);
    expect(() => ad.run([new Int8Array(640), new Int8Array(640)])).toThrow(/takes 1 inputs, got 2/);
  });

  it('reports a model the runtime cannot prepare as a clear error', async () => {
    const m = readTflite(referenceBytes('hello_world_float'));
    m.operatorCodes[0]!.builtinCode = 204; // STABLEHLO_RNG_BIT_GENERATOR: not in the runtime
    m.operatorCodes[0]!.deprecatedBuiltinCode = 127;
    await expect(Interpreter.load(writeTflite(m))).rejects.toMatchObject({
      code: 'TFLITE_INTERPRETER',
      message: expect.stringContaining('refused the model'),
    });
  });

  it('cannot run after dispose', async () => {
    const hello = await Interpreter.load(referenceBytes('hello_world_float'));
    hello.dispose();
    expect(() => hello.run(Float32Array.of(1))).toThrow(/disposed/);
  });
});

describe('quantize / dequantize', () => {
  it('rounds half away from zero and saturates, like TFLite', () => {
    expect(Array.from(quantize([0.5, -0.5, 1.5, -2.5, 200, -200], { scale: 1, zeroPoint: 0 }))).toEqual([
      1, -1, 2, -3, 127, -128,
    ]);
    expect(Array.from(quantize([0, 1], { scale: 0.5, zeroPoint: -128 }))).toEqual([-128, -126]);
    expect(Array.from(quantize([-1, 300], { scale: 1, zeroPoint: 0 }, 'uint8'))).toEqual([0, 255]);
  });

  it('dequantize inverts quantize to within half a step', () => {
    const q = { scale: 0.0245, zeroPoint: -7 };
    const values = [-2.9, -1.01, 0, 0.3, 2.9]; // inside [-2.96, 3.28], the range this scale and zero point cover
    const back = dequantize(quantize(values, q), q);
    for (const [i, v] of values.entries()) {
      expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(q.scale / 2 + 1e-6);
    }
  });

  it('refuses a zero or missing scale', () => {
    expect(() => quantize([1], { scale: 0, zeroPoint: 0 })).toThrow(/scale 0/);
  });
});
