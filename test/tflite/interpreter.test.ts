import { describe, expect, it } from 'vitest';
import { dequantize, type IoTensor, quantize, TfliteInterpreter } from '../../src/tflite/index.js';
import { haveReferenceModels, referenceModel } from './reference.js';

const int8: IoTensor = {
  index: 0,
  name: 'x',
  type: 'int8',
  shape: [4],
  quantization: { scale: 0.5, zeroPoint: -3 },
};

describe('int8 quantize/dequantize helpers', () => {
  it('round half away from zero, add the zero point, clamp to int8', () => {
    // 1.25/0.5 = 2.5 → 3; −1.25/0.5 = −2.5 → −3; then + zp −3.
    expect(Array.from(quantize(int8, [1.25, -1.25, 1000, -1000]))).toEqual([0, -6, 127, -128]);
    expect(Array.from(dequantize(int8, Int8Array.from([0, -6, 127, -128])))).toEqual([1.5, -1.5, 65, -62.5]);
  });
});

describe.skipIf(!haveReferenceModels)('TfliteInterpreter', () => {
  it('describes I/O with quantization and refuses the wrong input type or length', async () => {
    const it8 = await TfliteInterpreter.load(referenceModel('ad01_int8'));
    try {
      expect(it8.inputs[0]).toMatchObject({ type: 'int8', shape: [1, 640], quantization: { zeroPoint: 89 } });
      expect(() => it8.run(new Float32Array(640))).toThrow(
        /input 0 "input_1" is int8: give a Int8Array, not a Float32Array/,
      );
      expect(() => it8.run(new Int8Array(10))).toThrow(/shape \[1,640\] \(640 values\), got 10/);
      const batch = it8.runBatch([new Int8Array(640), new Int8Array(640).fill(100)]);
      expect(batch).toHaveLength(2);
      expect(Array.from(batch[0]![0]!)).not.toEqual(Array.from(batch[1]![0]!));
    } finally {
      it8.close();
    }
    expect(() => it8.run(new Int8Array(640))).toThrow(/closed/);
  });

  it('keeps giving the same answers after another model grows the runtime memory', async () => {
    const small = await TfliteInterpreter.load(referenceModel('hello_world_int8'));
    const x = small.quantizeInput(0, [1.0]);
    const before = Array.from(small.run(x)[0]!);
    const big = await TfliteInterpreter.load(referenceModel('ad01_fp32'));
    big.run(new Float32Array(640));
    expect(Array.from(small.run(x)[0]!)).toEqual(before);
    small.close();
    big.close();
  });

  it('leaves tfjs (wasm backend) working in the same process once loaded', async () => {
    const it8 = await TfliteInterpreter.load(referenceModel('hello_world_int8'));
    const { tf, tfReady } = await import('../../src/detect/tf.js');
    expect(await tfReady()).toBe('wasm');
    expect(Array.from(tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).dataSync())).toEqual([4, 6]);
    it8.close();
  });

  it('says the interpreter refused a model it cannot prepare', async () => {
    // A valid flatbuffer with an op version the runtime does not have is rejected at load, clearly.
    const { readTflite, writeTflite } = await import('../../src/tflite/index.js');
    const m = readTflite(referenceModel('hello_world_int8'));
    m.operatorCodes[0]!.version = 99;
    await expect(TfliteInterpreter.load(writeTflite(m))).rejects.toThrow(
      /the TFLite interpreter refused the model/,
    );
  });
});
