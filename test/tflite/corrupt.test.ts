import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TinygateError } from '../../src/errors/index.js';
import { emptyInput, Interpreter, readTflite, type TfliteModel } from '../../src/tflite/index.js';
import { runCli } from '../helpers/cli.js';
import { haveReferenceModels, type ReferenceModel, referenceBytes } from '../helpers/reference-models.js';

const TFLITE_CODES = ['TFLITE_CORRUPT', 'TFLITE_INVALID', 'TFLITE_NOT_TFLITE', 'TFLITE_UNSUPPORTED'];
const MAX_MS_PER_FILE = 1000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

/** Read damaged bytes: a model, or a TinygateError with a TFLite code and a message; never anything else, never slow. */
function readDamaged(bytes: Uint8Array): { model?: TfliteModel; error?: TinygateError } {
  const started = performance.now();
  try {
    return { model: readTflite(bytes) };
  } catch (err) {
    expect(err, `unexpected ${String(err)}`).toBeInstanceOf(TinygateError);
    const e = err as TinygateError;
    expect(TFLITE_CODES).toContain(e.code);
    expect(e.message.length).toBeGreaterThan(20);
    expect(e.hint).toBeTruthy();
    return { error: e };
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_FILE);
  }
}

const MODELS: ReferenceModel[] = ['hello_world_int8', 'ad01_int8', 'kws_int8'];

describe.skipIf(!haveReferenceModels)('corrupted models give a clear error, never a crash or a hang', () => {
  for (const [n, name] of MODELS.entries()) {
    it(`${name}: truncated at 50 random offsets, every one refused`, () => {
      const bytes = referenceBytes(name);
      const next = rng(100 + n);
      for (let i = 0; i < 50; i++) {
        const at = Math.floor(next() * bytes.length);
        const { error } = readDamaged(bytes.subarray(0, at));
        expect(error, `truncated at ${at} was accepted`).toBeDefined();
        expect(error!.message).toMatch(/corrupt TFLite file|not a TFLite model/);
      }
    });

    it(`${name}: 300 files with random bytes flipped are read or refused cleanly`, () => {
      const original = referenceBytes(name);
      const next = rng(200 + n);
      let refused = 0;
      for (let i = 0; i < 300; i++) {
        const bytes = original.slice();
        // The structure (offsets, vtables, indices) sits in the first few KB; weights after it.
        const span = i % 2 ? bytes.length : Math.min(bytes.length, 4096);
        for (let k = 0, flips = 1 + Math.floor(next() * 8); k < flips; k++) {
          bytes[Math.floor(next() * span)]! ^= 1 << Math.floor(next() * 8);
        }
        if (readDamaged(bytes).error) refused++;
      }
      expect(refused).toBeGreaterThan(0);
    });
  }

  it('a wrong file identifier names what it found', () => {
    const bytes = referenceBytes('kws_int8');
    bytes.set([0x54, 0x46, 0x4c, 0x32], 4); // "TFL2"
    const { error } = readDamaged(bytes);
    expect(error?.code).toBe('TFLITE_NOT_TFLITE');
    expect(error?.message).toContain('"TFL2"');
  });

  it('damaged files that still parse either run in the interpreter or are refused with a TinygateError', async () => {
    const original = referenceBytes('hello_world_int8');
    const next = rng(300);
    let tried = 0;
    for (let i = 0; i < 200 && tried < 40; i++) {
      const bytes = original.slice();
      bytes[Math.floor(next() * 2400)]! ^= 1 << Math.floor(next() * 8);
      if (!readDamaged(bytes).model) continue;
      tried++;
      try {
        const interpreter = await Interpreter.load(bytes);
        interpreter.run(interpreter.inputs.map(emptyInput));
        interpreter.dispose();
      } catch (err) {
        expect(err).toBeInstanceOf(TinygateError);
      }
    }
    expect(tried).toBeGreaterThan(10);
  });

  it('the CLI reports a truncated model as a user error (exit 1), not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinygate-corrupt-'));
    try {
      const path = join(dir, 'cut.tflite');
      writeFileSync(path, referenceBytes('ad01_int8').subarray(0, 1000));
      const r = await runCli(['inspect', path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*cut\.tflite: corrupt TFLite file: .* at byte \d+/m);
      expect(r.stderr).toMatch(/^hint: /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
