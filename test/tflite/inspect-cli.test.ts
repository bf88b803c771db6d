// `tinygate inspect` and `tinygate infer` as a user runs them, on Google's reference models. Expected
// figures come from the models' README (measured with TFLite Micro), not from our code.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Int8Graph } from '../helpers/int8-graph.js';
import { haveReferenceModels, referencePath } from './reference.js';

interface Report {
  ops: { op: string; version: number; macs: number }[];
  totalMacs: number;
  plan: { headBytes: number };
  tflm: { totalBytes: number };
  minRuntimeVersion: string;
  inputs: { type: string; quantization: { scale: number[]; zeroPoint: number[] } }[];
  boards: { board: string; fits: boolean; flash: { margin: number }; arena: { margin: number } }[];
}

const within = (x: number, target: number, ratio: number) => Math.abs(x - target) <= target * ratio;

describe.skipIf(!haveReferenceModels)('tinygate inspect', () => {
  it('reports ad01_int8: 10 FULLY_CONNECTED, 264,192 MACs, head 768, TFLM estimate near 2,260', async () => {
    const r = await runCli([
      'inspect',
      referencePath('ad01_int8'),
      '--json',
      '--board',
      'arduino-nano-33-ble-sense',
      'arduino-uno',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.ops).toHaveLength(10);
    expect(rep.ops.every((o) => o.op === 'FULLY_CONNECTED')).toBe(true);
    expect(rep.totalMacs).toBe(264_192);
    expect(rep.plan.headBytes).toBe(768);
    expect(within(rep.tflm.totalBytes, 2260, 0.1)).toBe(true);
    expect(rep.minRuntimeVersion).toBe('1.5.0');
    expect(rep.inputs[0]).toMatchObject({ type: 'int8', quantization: { zeroPoint: [89] } });
    expect(rep.inputs[0]!.quantization.scale[0]).toBeCloseTo(0.391015, 5);
    // 270 KiB of weights: fits the nRF52840's 1 MB flash, not an Uno's 32 KB.
    const [nano, uno] = rep.boards;
    expect(nano).toMatchObject({ board: 'arduino-nano-33-ble-sense', fits: true });
    expect(uno).toMatchObject({ board: 'arduino-uno', fits: false });
    expect(uno!.flash.margin).toBeLessThan(0);
  });

  it('reports hello_world_int8: head 32, TFLM estimate near 676', async () => {
    const r = await runCli(['inspect', referencePath('hello_world_int8'), '--json']);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.plan.headBytes).toBe(32);
    expect(within(rep.tflm.totalBytes, 676, 0.1)).toBe(true);
    expect(rep.ops.map((o) => o.op)).toEqual(['FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED']);
  });

  it('says clearly when the file is not a model, or not there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-inspect-'));
    const f = join(dir, 'model.tflite');
    writeFileSync(f, '{"modelTopology": {}}');
    const r = await runCli(['inspect', f, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('TFLITE_NOT_TFLITE');
    expect(r.stderr).toMatch(/not a TFLite model/);
    const missing = await runCli(['inspect', join(dir, 'nope.tflite')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.tflite: ENOENT/);
  });
});

describe.skipIf(!haveReferenceModels)('tinygate infer', () => {
  it('runs hello_world (float and int8) on CSV input: both approximate sin(x)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-infer-'));
    const xs = [0.5, 1.0, 1.5, 2.5, 4.0, 5.5];
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, `x\n${xs.join('\n')}\n`);
    for (const name of ['hello_world_float', 'hello_world_int8'] as const) {
      const r = await runCli(['infer', referencePath(name), '--input', csv, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { results: number[][][] };
      expect(out.results).toHaveLength(xs.length);
      for (const [i, res] of out.results.entries())
        expect(Math.abs(res[0]![0]! - Math.sin(xs[i]!)), `${name} x=${xs[i]}`).toBeLessThan(0.15);
    }
  });

  it('refuses input of the wrong length, naming the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-infer-'));
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, '0.5\n1,2\n');
    const r = await runCli(['infer', referencePath('hello_world_int8'), '--input', csv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/x\.csv: line 2 has 2 values, expected 1/);
  });
});

describe('tinygate infer, models of several inputs and of int16 inputs', () => {
  it('takes one --input per model input, in order, and names the inputs when the count is wrong', async () => {
    const g = new Int8Graph();
    const a = g.tensor([1, 4], 0.05, 0);
    const b = g.tensor([1, 4], 0.05, 0);
    const sum = g.op(0, 1, [a, b], g.tensor([1, 4], 0.1, 0), {
      type: 'AddOptions',
      fusedActivation: 'NONE',
      potScaleInt16: false,
    } as never);
    const dir = mkdtempSync(join(tmpdir(), 'tg-infer-'));
    const model = join(dir, 'add.tflite');
    writeFileSync(model, g.build([a, b], sum));
    writeFileSync(join(dir, 'a.csv'), '1,2,3,-1\n0.5,0,0,0\n');
    writeFileSync(join(dir, 'b.csv'), '0.5,0.5,-4,1\n1,1,1,1\n');
    const r = await runCli([
      'infer',
      model,
      '--input',
      join(dir, 'a.csv'),
      '--input',
      join(dir, 'b.csv'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { results: number[][][]; inputs: unknown[] };
    expect(out.inputs).toHaveLength(2);
    const want = [
      [1.5, 2.5, -1, 0],
      [1.5, 1, 1, 1],
    ];
    for (const [n, res] of out.results.entries())
      for (const [k, v] of res[0]!.entries())
        expect(Math.abs(v - want[n]![k]!), `sample ${n} [${k}]`).toBeLessThanOrEqual(0.1);

    const one = await runCli(['infer', model, '--input', join(dir, 'a.csv')]);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(
      /takes 2 input\(s\) \(0: "t0" int8 \[1,4\], 1: "t1" int8 \[1,4\]\); 1 --input file\(s\) given/,
    );
    writeFileSync(join(dir, 'short.csv'), '1,1,1,1\n');
    const uneven = await runCli([
      'infer',
      model,
      '--input',
      join(dir, 'a.csv'),
      '--input',
      join(dir, 'short.csv'),
    ]);
    expect(uneven.code).toBe(1);
    expect(uneven.stderr).toMatch(/different numbers of samples .*a\.csv: 2, .*short\.csv: 1/);
  });

  it('quantizes float samples to an int16 input with its scale, clamping at the int16 range', async () => {
    const g = new Int8Graph();
    const x = g.activation([1, 3], 'int16', 0.001, 0);
    const y = g.op(6, 2, [x], g.activation([1, 3], 'float32'), null);
    const dir = mkdtempSync(join(tmpdir(), 'tg-infer-'));
    const model = join(dir, 'int16.tflite');
    writeFileSync(model, g.build(x, y));
    writeFileSync(join(dir, 'x.csv'), '0.0014,-1.2346,40\n');
    const r = await runCli(['infer', model, '--input', join(dir, 'x.csv'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { results: number[][][] };
    expect(out.results[0]![0]!.map((v) => +v.toFixed(4))).toEqual([0.001, -1.235, 32.767]);
  });
});
