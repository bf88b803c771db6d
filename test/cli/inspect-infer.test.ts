import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import { runCli } from '../helpers/cli.js';
import { haveReferenceModels, referencePath } from '../helpers/reference-models.js';

const dir = mkdtempSync(join(tmpdir(), 'tinygate-infer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A .npy file (format 1.0, little-endian float32, C order) written by hand for the test. */
function npyFloat32(path: string, shape: number[], values: number[]): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`; // pad so the data starts 64-aligned
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(
    path,
    Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(values).buffer)]),
  );
}

describe.skipIf(!haveReferenceModels)('tinygate inspect', () => {
  it('ad01_int8 --json: 10 FULLY_CONNECTED, 264,192 MACs, head 768 B, TFLM estimate near the measured 2,260 B', async () => {
    const r = await runCli(['inspect', referencePath('ad01_int8'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.opCounts).toEqual({ FULLY_CONNECTED: 10 });
    expect(doc.ops).toHaveLength(10);
    expect(doc.totalMacs).toBe(264_192);
    expect(doc.arena.headBytes).toBe(768);
    expect(Math.abs(doc.arena.tflm.usedBytes - 2260) / 2260).toBeLessThanOrEqual(0.1);
    expect(doc.tensorCount).toBe(31);
    expect(doc.minRuntimeVersion).toMatch(/^\d+\.\d+/);
    expect(doc.inputs[0]).toMatchObject({
      name: 'input_1',
      shape: [1, 640],
      type: 'int8',
      quantization: { zeroPoint: 89 },
    });
    expect(doc.ops[0]).toMatchObject({
      op: 'FULLY_CONNECTED',
      inputs: [{ shape: [1, 640] }, { shape: [128, 640] }, { shape: [128] }],
      macs: 81_920,
    });
  });

  it('hello_world_int8 --json: head 32 B, TFLM estimate near the measured 676 B', async () => {
    const doc = JSON.parse((await runCli(['inspect', referencePath('hello_world_int8'), '--json'])).stdout);
    expect(doc.arena.headBytes).toBe(32);
    expect(Math.abs(doc.arena.tflm.usedBytes - 676) / 676).toBeLessThanOrEqual(0.1);
  });

  it('--board says whether the model fits each board’s budget, with the margin', async () => {
    const r = await runCli([
      'inspect',
      referencePath('ad01_int8'),
      '--board',
      'arduino-uno',
      'stm32-nucleo-l4r5zi',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const [uno, nucleo] = doc.boards;
    expect(uno).toMatchObject({ board: 'arduino-uno', fits: false, flash: { fits: false } });
    expect(nucleo).toMatchObject({ board: 'stm32-nucleo-l4r5zi', fits: true });
    const budget = findBoard('stm32-nucleo-l4r5zi').modelBudget;
    expect(nucleo.flash.marginBytes).toBe(budget.flashBytes - 276_976);
    expect(nucleo.arena.marginBytes).toBe(budget.arenaBytes - doc.arena.tflm.minimumArenaBytes);
  });

  it('prints a readable report without --json', async () => {
    const r = await runCli(['inspect', referencePath('kws_int8')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DEPTHWISE_CONV_2D/);
    expect(r.stdout).toMatch(/scale 0\.584703, zero point 83/);
    expect(r.stdout).toMatch(/head 16000 B/);
  });

  it('a file that is not a model: exit 1, the file named, one JSON error document', async () => {
    const path = join(dir, 'notes.tflite');
    writeFileSync(path, 'this is not a flatbuffer at all');
    const r = await runCli(['inspect', path, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('TFLITE_NOT_TFLITE');
    expect(doc.error.message).toContain(path);
    const missing = await runCli(['inspect', join(dir, 'absent.tflite')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/absent\.tflite: no such file/);
  });
});

describe.skipIf(!haveReferenceModels)('tinygate infer', () => {
  const xs = [0.5, Math.PI / 2, 3];

  it('quantizes float CSV inputs for an int8 model and dequantizes the outputs (sine model ≈ sin x)', async () => {
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, `x\n${xs.join('\n')}\n`);
    const r = await runCli(['infer', referencePath('hello_world_int8'), '--input', csv, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results).toHaveLength(3);
    doc.results.forEach((res: { outputs: number[][] }, i: number) => {
      expect(res.outputs[0]![0]).toBeCloseTo(Math.sin(xs[i]!), 1);
    });
  });

  it('reads .npy and .json inputs the same as CSV', async () => {
    const npy = join(dir, 'x.npy');
    npyFloat32(npy, [3, 1], xs);
    const json = join(dir, 'x.json');
    writeFileSync(json, JSON.stringify(xs.map((x) => [x])));
    const fromNpy = JSON.parse(
      (await runCli(['infer', referencePath('hello_world_float'), '--input', npy, '--json'])).stdout,
    );
    const fromJson = JSON.parse(
      (await runCli(['infer', referencePath('hello_world_float'), '--input', json, '--json'])).stdout,
    );
    expect(fromNpy.results).toEqual(fromJson.results);
    expect(fromNpy.results[1].outputs[0][0]).toBeCloseTo(1, 1);
  });

  it('--raw feeds integers as they are and prints integer outputs', async () => {
    const csv = join(dir, 'raw.csv');
    writeFileSync(csv, '-128\n0\n127\n');
    const doc = JSON.parse(
      (await runCli(['infer', referencePath('hello_world_int8'), '--input', csv, '--raw', '--json'])).stdout,
    );
    for (const res of doc.results) {
      expect(Number.isInteger(res.outputs[0][0])).toBe(true);
      expect(res.outputs[0][0]).toBeGreaterThanOrEqual(-128);
      expect(res.outputs[0][0]).toBeLessThanOrEqual(127);
    }
  });

  it('an input of the wrong length: exit 1 naming the input and the size the model takes', async () => {
    const csv = join(dir, 'short.csv');
    writeFileSync(csv, '1,2,3\n');
    const r = await runCli(['infer', referencePath('ad01_int8'), '--input', csv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/short\.csv: input 1 has 3 values, the model takes 640/);
  });
});
