// writeTflite never writes a file with a part silently missing: what tinygate does not model is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Operator } from '../../src/tflite/generated/tflite/operator.js';
import { readTflite, type TfliteModel, writeTflite } from '../../src/tflite/index.js';
import { ROOT } from '../helpers/cli.js';

// Our own shipped int8 model: always present, so these run in a fresh clone too.
const shipped = () => new Uint8Array(readFileSync(join(ROOT, 'models', 'motor-vib', 'model.int8.tflite')));
const load = (): TfliteModel => readTflite(shipped());

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected an error');
}

describe('writeTflite refuses what it would otherwise drop', () => {
  it('a file setting fields beyond tinygate’s schema (a newer TFLite schema) reads, but is not rewritten', () => {
    // Write operators as a newer schema would: one more field (id 13) after the 13 tinygate knows.
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

  it('the shipped model itself carries no unknown fields and rewrites', () => {
    const m = load();
    expect(m.unmodeled).toBeUndefined();
    expect(() => writeTflite(m)).not.toThrow();
  });

  it('an options table tinygate does not model', () => {
    const m = load();
    m.subgraphs[0]!.operators[0]!.options = { type: 'unknown', typeId: 42 };
    const err = errorOf(() => writeTflite(m));
    expect(err.code).toBe('TFLITE_UNSUPPORTED');
    expect(err.message).toContain('subgraph 0 operator 0');
  });

  it('a sparse tensor', () => {
    const m = load();
    m.subgraphs[0]!.tensors[1]!.unmodeled = ['sparsity'];
    const err = errorOf(() => writeTflite(m));
    expect(err.code).toBe('TFLITE_UNSUPPORTED');
    expect(err.message).toMatch(/^subgraph 0 tensor 1 ".*": sparsity/);
  });
});
