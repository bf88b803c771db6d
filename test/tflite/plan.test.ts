import { describe, expect, it } from 'vitest';
import {
  type ArenaPlan,
  estimateTflmArena,
  greedyArenaPlan,
  offlineMemoryAllocation,
  readTflite,
  type TfliteModel,
  type TfliteTensor,
} from '../../src/tflite/index.js';
import { haveReferenceModels, REFERENCE_MODELS, referenceBytes } from '../helpers/reference-models.js';

function tensor(name: string, shape: number[], buffer = 0): TfliteTensor {
  return {
    name,
    shape,
    shapeSignature: null,
    type: 'int8',
    buffer,
    quantization: null,
    isVariable: false,
    hasRank: true,
  };
}

/** A chain of RELU ops over int8 tensors of the given sizes: t0 → t1 → … → tn. */
function chain(sizes: number[]): TfliteModel {
  return {
    version: 3,
    description: null,
    operatorCodes: [{ builtinCode: 19, customCode: null, version: 1 }],
    subgraphs: [
      {
        name: null,
        tensors: sizes.map((n, i) => tensor(`t${i}`, [1, n])),
        inputs: [0],
        outputs: [sizes.length - 1],
        operators: sizes.slice(1).map((_, i) => ({
          opcodeIndex: 0,
          inputs: [i],
          outputs: [i + 1],
          intermediates: [],
          options: null,
          customOptions: null,
          customOptionsFormat: 0,
          mutatingVariableInputs: [],
        })),
      },
    ],
    buffers: [{ data: null }],
    metadataBuffer: [],
    metadata: [],
    signatureDefs: [],
  };
}

/** Independent check: buffers alive during the same op never share bytes, and all are aligned. */
function expectNoOverlap(plan: ArenaPlan): void {
  for (const a of plan.buffers) {
    expect(a.offset % plan.alignment).toBe(0);
    expect(a.offset + a.alignedBytes).toBeLessThanOrEqual(plan.headBytes);
    for (const b of plan.buffers) {
      if (a === b || a.lastOp < b.firstOp || b.lastOp < a.firstOp) continue;
      const disjoint = a.offset + a.alignedBytes <= b.offset || b.offset + b.alignedBytes <= a.offset;
      expect(disjoint, `${a.name} and ${b.name} overlap`).toBe(true);
    }
  }
}

describe('greedyArenaPlan', () => {
  it('reuses memory along a chain: only an op’s input and output are alive together', () => {
    const plan = greedyArenaPlan(chain([100, 40, 100, 40]));
    // Sizes align to 112 and 48; at most one of each is alive at a time.
    expect(plan.headBytes).toBe(112 + 48);
    expectNoOverlap(plan);
  });

  it('keeps a tensor read by a later op alive until then', () => {
    const m = chain([16, 16, 16, 16]);
    // The last op also reads t0, so t0 lives through every op and nothing may share its bytes.
    m.subgraphs[0]!.operators[2]!.inputs.push(0);
    const plan = greedyArenaPlan(m);
    expect(plan.headBytes).toBe(48);
    expectNoOverlap(plan);
  });

  it('does not plan constant tensors', () => {
    const m = chain([16, 16]);
    m.buffers.push({ data: new Uint8Array(16) });
    m.subgraphs[0]!.tensors.push(tensor('weights', [1, 16], 1));
    m.subgraphs[0]!.operators[0]!.inputs.push(2);
    const plan = greedyArenaPlan(m);
    expect(plan.offsets[2]).toBe(-1);
    expect(plan.headBytes).toBe(32);
  });

  it('encodes OfflineMemoryAllocation as int32 [version 1, subgraph, count, offsets…]', () => {
    const plan = greedyArenaPlan(chain([16, 16, 16]));
    const bytes = offlineMemoryAllocation(plan);
    const view = new DataView(bytes.buffer);
    const words = Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(i * 4, true));
    expect(words).toEqual([1, 0, 3, ...plan.offsets]);
  });
});

describe.skipIf(!haveReferenceModels)('plans for the reference models', () => {
  it('ad01_int8: head 768 bytes (640-byte input + 128-byte largest hidden activation)', () => {
    expect(greedyArenaPlan(readTflite(referenceBytes('ad01_int8'))).headBytes).toBe(768);
  });

  it('hello_world_int8: head 32 bytes', () => {
    expect(greedyArenaPlan(readTflite(referenceBytes('hello_world_int8'))).headBytes).toBe(32);
  });

  it('every reference plan keeps simultaneously-alive buffers apart', () => {
    for (const name of REFERENCE_MODELS) expectNoOverlap(greedyArenaPlan(readTflite(referenceBytes(name))));
  });

  // Measured with the real TFLite Micro (32-bit layout): arena_used_bytes and the smallest working arena.
  const measured = {
    ad01_int8: { used: 2260, minimum: 2700 },
    hello_world_int8: { used: 676, minimum: 1068 },
  };
  for (const [name, m] of Object.entries(measured)) {
    it(`${name}: the TFLite Micro estimate is within 10 % of the measured ${m.used} bytes`, () => {
      const estimate = estimateTflmArena(readTflite(referenceBytes(name as 'ad01_int8')));
      expect(Math.abs(estimate.usedBytes - m.used) / m.used).toBeLessThanOrEqual(0.1);
      expect(Math.abs(estimate.minimumArenaBytes - m.minimum) / m.minimum).toBeLessThanOrEqual(0.1);
      expect(estimate.calibrated).toBe(true);
    });
  }
});
