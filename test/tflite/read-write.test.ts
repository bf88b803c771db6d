import * as flatbuffers from 'flatbuffers';
import { describe, expect, it, vi } from 'vitest';
import { Model } from '../../src/tflite/generated/tflite/model.js';
import { Operator } from '../../src/tflite/generated/tflite/operator.js';
import { readTflite, type TfliteModel, writeTflite } from '../../src/tflite/index.js';
import { haveReferenceModels, REFERENCE_MODELS, referenceBytes } from '../helpers/reference-models.js';

/** Errors as the user sees them: code and message. */
function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected an error');
}

/** Byte position of a table's field in the file (via the generated accessors' bb_pos and vtable lookup). */
function fieldPos(
  table: { bb: flatbuffers.ByteBuffer | null; bb_pos: number },
  vtableOffset: number,
): number {
  const rel = table.bb!.__offset(table.bb_pos, vtableOffset);
  if (!rel) throw new Error('field absent');
  return table.bb_pos + rel;
}

function rootOf(bytes: Uint8Array): Model {
  return Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
}

describe.skipIf(!haveReferenceModels)('reference models read, write and read again', () => {
  for (const name of REFERENCE_MODELS) {
    it(`${name}: same structure after a round trip`, () => {
      const original = readTflite(referenceBytes(name));
      const rewritten = readTflite(writeTflite(original));
      expect(rewritten).toEqual(original);
    });
  }

  it('decodes what the TF converter wrote (ad01_int8: 10 FULLY_CONNECTED, int8 I/O with its quantization)', () => {
    const m = readTflite(referenceBytes('ad01_int8'));
    const g = m.subgraphs[0]!;
    expect(g.operators).toHaveLength(10);
    for (const op of g.operators) {
      expect(m.operatorCodes[op.opcodeIndex]!.builtinCode).toBe(9);
      expect(op.options?.type).toBe('FullyConnectedOptions');
    }
    const input = g.tensors[g.inputs[0]!]!;
    expect(input.type).toBe('int8');
    expect(input.shape).toEqual([1, 640]);
    expect(input.quantization!.scale[0]).toBeCloseTo(0.391015, 5);
    expect(input.quantization!.zeroPoint).toEqual([89]);
    // FC weights are [units, in] int8, their data a view sized shape × 1 byte.
    const weights = g.tensors[g.operators[0]!.inputs[1]!]!;
    expect(weights.type).toBe('int8');
    expect(weights.shape).toEqual([128, 640]);
    expect(weights.data?.length).toBe(128 * 640);
  });

  it('keeps per-channel quantization (kws_int8 conv filters, quantized_dimension 0)', () => {
    const m = readTflite(referenceBytes('kws_int8'));
    const g = m.subgraphs[0]!;
    const conv = g.operators.find((op) => m.operatorCodes[op.opcodeIndex]!.builtinCode === 3)!;
    const filter = g.tensors[conv.inputs[1]!]!;
    expect(filter.quantization!.scale.length).toBe(filter.shape[0]);
    expect(filter.quantization!.quantizedDimension).toBe(0);
    expect(conv.options).toMatchObject({ type: 'Conv2DOptions', padding: 'SAME' });
  });
});

describe.skipIf(!haveReferenceModels)('validation names the place', () => {
  it('refuses a wrong file identifier', () => {
    const bytes = referenceBytes('hello_world_int8');
    bytes.set([0x4e, 0x4f, 0x50, 0x45], 4); // "NOPE"
    const err = errorOf(() => readTflite(bytes));
    expect(err.code).toBe('TFLITE_NOT_TFLITE');
    expect(err.message).toContain('"NOPE"');
    expect(err.message).toContain('"TFL3"');
  });

  it('refuses a truncated file', () => {
    const bytes = referenceBytes('hello_world_int8');
    const err = errorOf(() => readTflite(bytes.subarray(0, 1500)));
    expect(err.code).toBe('TFLITE_CORRUPT');
    expect(err.message).toMatch(/outside the file|past the end/);
    expect(err.message).toMatch(/at byte \d+/);
  });

  it('refuses a tensor whose buffer index is out of range', () => {
    const bytes = referenceBytes('hello_world_int8');
    const tensor = rootOf(bytes).subgraphs(0)!.tensors(3)!;
    new DataView(bytes.buffer).setUint32(fieldPos(tensor, 8), 999, true);
    const err = errorOf(() => readTflite(bytes));
    expect(err.code).toBe('TFLITE_INVALID');
    expect(err.message).toMatch(
      /^subgraph 0 tensor 3 ".+": buffer 999 is out of range \(the model has \d+ buffers\)$/,
    );
  });

  it('refuses constant data that does not match shape × type', () => {
    const bytes = referenceBytes('ad01_int8');
    const g = rootOf(bytes).subgraphs(0)!;
    const biasIndex = g.operators(0)!.inputs(2)!;
    const bias = g.tensors(biasIndex)!;
    // Bias [128] int32 → claim it is int8: 512 bytes held, 128 needed.
    bytes[fieldPos(bias, 6)] = 9;
    const err = errorOf(() => readTflite(bytes));
    expect(err.code).toBe('TFLITE_INVALID');
    expect(err.message).toBe(
      `subgraph 0 tensor ${biasIndex} ${JSON.stringify(bias.name())}: buffer ${bias.buffer()} holds 512 bytes, shape [128] int8 needs 128`,
    );
  });

  it('refuses an unknown tensor type', () => {
    const bytes = referenceBytes('hello_world_int8');
    const tensor = rootOf(bytes).subgraphs(0)!.tensors(2)!;
    bytes[fieldPos(tensor, 6)] = 99;
    const err = errorOf(() => readTflite(bytes));
    expect(err.code).toBe('TFLITE_INVALID');
    expect(err.message).toMatch(/^subgraph 0 tensor 2 ".*" type: unknown tensor type 99$/);
  });

  it('refuses an operator input whose tensor index is out of range', () => {
    const bytes = referenceBytes('hello_world_int8');
    const op = rootOf(bytes).subgraphs(0)!.operators(1)!;
    const inputs = op.bb!.__vector(fieldPos(op, 6));
    new DataView(bytes.buffer).setInt32(inputs + 4, 500, true);
    const err = errorOf(() => readTflite(bytes));
    expect(err.code).toBe('TFLITE_INVALID');
    expect(err.message).toMatch(
      /^subgraph 0 operator 1 input 1: tensor index 500 is out of range \(the subgraph has \d+ tensors\)$/,
    );
  });
});

describe.skipIf(!haveReferenceModels)('writing never drops what it does not model', () => {
  const load = (): TfliteModel => readTflite(referenceBytes('hello_world_int8'));

  it('refuses an options table it cannot encode', () => {
    const m = load();
    m.subgraphs[0]!.operators[0]!.options = { type: 'unknown', typeId: 42 };
    const err = errorOf(() => writeTflite(m));
    expect(err.code).toBe('TFLITE_UNSUPPORTED');
    expect(err.message).toContain('subgraph 0 operator 0');
    expect(err.message).toContain('#42');
  });

  it('refuses a file setting a field its schema subset lacks (a newer TFLite schema) instead of dropping it', () => {
    // Write operators as a newer schema would: one more field (id 13) after the ones tinygate knows.
    const start = vi.spyOn(Operator, 'startOperator').mockImplementation((b) => b.startObject(14));
    const end = vi.spyOn(Operator, 'endOperator').mockImplementation((b) => {
      b.addFieldInt32(13, 7, 0);
      return b.endObject();
    });
    let bytes: Uint8Array;
    try {
      bytes = writeTflite(load());
    } finally {
      start.mockRestore();
      end.mockRestore();
    }
    const m = readTflite(bytes);
    expect(m.unmodeled).toContain('model.subgraphs[0].operators[0] (Operator field 13)');
    const err = errorOf(() => writeTflite(m));
    expect(err.code).toBe('TFLITE_UNSUPPORTED');
    expect(err.message).toContain('Operator field 13');
  });

  it('refuses a tensor read with sparsity', () => {
    const m = load();
    m.subgraphs[0]!.tensors[1]!.unmodeled = ['sparsity'];
    const err = errorOf(() => writeTflite(m));
    expect(err.code).toBe('TFLITE_UNSUPPORTED');
    expect(err.message).toMatch(/^subgraph 0 tensor 1 ".*" uses sparsity/);
  });

  it('validates models built in code before writing them', () => {
    const m = load();
    const t = m.subgraphs[0]!.tensors.find((x) => x.data && x.data.length > 0)!;
    m.buffers[t.buffer]!.data = new Uint8Array(3);
    t.data = m.buffers[t.buffer]!.data;
    const err = errorOf(() => writeTflite(m));
    expect(err.code).toBe('TFLITE_INVALID');
    expect(err.message).toMatch(/holds 3 bytes/);
  });

  it('writes changed constant data and reads it back', () => {
    const m = load();
    const t = m.subgraphs[0]!.tensors.find((x) => x.type === 'int8' && x.data && x.data.length > 0)!;
    const data = new Uint8Array(t.data!.length).fill(7);
    m.buffers[t.buffer]!.data = data;
    t.data = data;
    const again = readTflite(writeTflite(m));
    const back = again.subgraphs[0]!.tensors.find((x) => x.name === t.name)!;
    expect(Array.from(back.data!)).toEqual(Array.from(data));
    expect(back.data!.byteOffset % 16).toBe(0);
  });
});
