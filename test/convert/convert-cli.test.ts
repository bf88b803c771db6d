// `tinygate convert` on Google's float reference models, judged by reading what it wrote against the
// TFLite int8 spec and by running it in the official interpreter.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_PLAN_METADATA } from '../../src/convert/index.js';
import { operatorName, planArena, readTflite, TfliteInterpreter } from '../../src/tflite/index.js';
import { runCli } from '../helpers/cli.js';
import { haveReferenceModels, referencePath, rng } from '../tflite/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-convert-'));
function csv(name: string, rows: number, cols: number, spread: number, seed: number): string {
  const next = rng(seed);
  const f = join(dir, name);
  writeFileSync(
    f,
    Array.from({ length: rows }, () =>
      Array.from({ length: cols }, () => ((next() - 0.5) * spread).toFixed(4)).join(','),
    ).join('\n'),
  );
  return f;
}

describe.skipIf(!haveReferenceModels)('tinygate convert on the reference models', () => {
  let kwsCalib: string;
  let adCalib: string;
  beforeAll(() => {
    kwsCalib = csv('kws.csv', 50, 490, 60, 1);
    adCalib = csv('ad01.csv', 100, 640, 10, 2);
  });

  it('writes a full-int8 DS-CNN that follows the int8 spec and runs in the interpreter', async () => {
    const out = join(dir, 'kws.int8.tflite');
    const r = await runCli(['convert', referencePath('kws_fp32'), '--calib', kwsCalib, '-o', out, '--json'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.calibration).toMatchObject({ strategy: 'output-mse', samples: 40 });
    // The summary fields scripts rely on.
    expect(report.bytes).toBe(readFileSync(out).length);
    expect(report.ops).toHaveLength(13);
    expect(report.arena.headBytes).toBeGreaterThan(0);
    expect(Object.keys(report.error).sort()).toEqual(['maxAbs', 'rmse', 'rmseOverRange', 'snrDb']);
    const m = readTflite(new Uint8Array(readFileSync(out)));
    const g = m.subgraphs[0]!;
    const t = (i: number) => g.tensors[i]!;
    for (const op of g.operators) {
      const name = operatorName(m, op);
      const code = m.operatorCodes[op.opcodeIndex]!;
      if (name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D') {
        const w = t(op.inputs[1]!);
        const b = t(op.inputs[2]!);
        const channels = name === 'CONV_2D' ? w.shape[0]! : w.shape[3]!;
        expect(w.type).toBe('int8');
        expect(w.quantization!.scale).toHaveLength(channels);
        expect(w.quantization!.quantizedDimension).toBe(name === 'CONV_2D' ? 0 : 3);
        expect(w.quantization!.zeroPoint.every((z) => z === 0)).toBe(true);
        expect(
          Math.min(...new Int8Array(w.data!.buffer, w.data!.byteOffset, w.data!.length)),
        ).toBeGreaterThanOrEqual(-127);
        // Bias: int32 at input scale × weight scale, per channel.
        expect(b.type).toBe('int32');
        const inScale = t(op.inputs[0]!).quantization!.scale[0]!;
        // Stored as float32: equal to float32 precision.
        for (const [c, s] of b.quantization!.scale.entries()) {
          const want = inScale * w.quantization!.scale[c]!;
          expect(Math.abs(s - want) / want).toBeLessThan(1e-6);
        }
        expect(code.version).toBe(3);
      }
      if (name === 'SOFTMAX') {
        expect(t(op.outputs[0]!).quantization).toMatchObject({ scale: [1 / 256], zeroPoint: [-128] });
        expect(code.version).toBe(2);
      }
      if (name === 'AVERAGE_POOL_2D' || name === 'RESHAPE') {
        expect(t(op.outputs[0]!).quantization!.scale).toEqual(t(op.inputs[0]!).quantization!.scale);
        expect(t(op.outputs[0]!).quantization!.zeroPoint).toEqual(t(op.inputs[0]!).quantization!.zeroPoint);
      }
    }
    expect(g.tensors.filter((x) => x.type === 'float32')).toEqual([]);
    const it = await TfliteInterpreter.load(new Uint8Array(readFileSync(out)));
    const y = it.dequantizeOutput(0, it.run(it.quantizeInput(0, new Float32Array(490).fill(1)))[0]!);
    expect(y.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 1); // a softmax
    it.close();
    expect(existsSync(join(dir, 'kws.int8.report.json'))).toBe(true);
  });

  it('with --io float adds QUANTIZE first and DEQUANTIZE last; --offline-plan embeds the arena plan', async () => {
    const out = join(dir, 'ad01.float-io.tflite');
    const r = await runCli(
      [
        'convert',
        referencePath('ad01_fp32'),
        '--calib',
        adCalib,
        '--io',
        'float',
        '--offline-plan',
        '-o',
        out,
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const m = readTflite(new Uint8Array(readFileSync(out)));
    const ops = m.subgraphs[0]!.operators.map((o) => operatorName(m, o));
    expect(ops[0]).toBe('QUANTIZE');
    expect(ops.at(-1)).toBe('DEQUANTIZE');
    expect(ops.filter((o) => o === 'FULLY_CONNECTED')).toHaveLength(10);
    expect(m.subgraphs[0]!.tensors[m.subgraphs[0]!.inputs[0]!]!.type).toBe('float32');
    const meta = m.metadata.find((x) => x.name === OFFLINE_PLAN_METADATA)!;
    const plan = new Int32Array(m.buffers[meta.buffer]!.data!.slice().buffer);
    const tensors = m.subgraphs[0]!.tensors.length;
    expect(Array.from(plan.slice(0, 3))).toEqual([1, 1, tensors]);
    expect(Array.from(plan.slice(3))).toEqual(planArena(m).offsets);
    const version = m.metadata.find((x) => x.name === 'min_runtime_version')!;
    expect(new TextDecoder().decode(m.buffers[version.buffer]!.data!).replace(/\0+$/, '')).toBe('1.14.0');
  });

  it('refuses a model that does not fit a board, says by how much, and still writes the report', async () => {
    const out = join(dir, 'ad01.uno.tflite');
    const r = await runCli(
      ['convert', referencePath('ad01_fp32'), '--calib', adCalib, '--board', 'arduino-uno', '-o', out],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/arduino-uno: \d+ B of model, a slot holds 444 B/);
    expect(r.stderr).toMatch(/hint: Pick a bigger board/);
    expect(existsSync(out)).toBe(false);
    const report = JSON.parse(readFileSync(join(dir, 'ad01.uno.report.json'), 'utf8'));
    expect(report.boards[0]).toMatchObject({ board: 'arduino-uno', fits: false });
    const json = await runCli(
      [
        'convert',
        referencePath('ad01_fp32'),
        '--calib',
        adCalib,
        '--board',
        'arduino-nano-33-ble-sense',
        '-o',
        join(dir, 'nano.tflite'),
        '--json',
      ],
      { timeoutMs: 60_000 },
    );
    const fit = JSON.parse(json.stdout).boards[0];
    expect(fit).toMatchObject({ id: 'arduino-nano-33-ble-sense', fits: true });
    expect(fit.flashMargin).toBeGreaterThan(0);
    expect(fit.arenaMargin).toBeGreaterThan(0);
  });

  it('refuses with exit 1 when the error passes --max-rmse, and says what to try', async () => {
    const r = await runCli(
      [
        'convert',
        referencePath('ad01_fp32'),
        '--calib',
        adCalib,
        '--max-rmse',
        '0.00001',
        '-o',
        join(dir, 'x.tflite'),
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fails the accuracy gate: RMSE is .* of the output range/);
    expect(r.stderr).toMatch(/hint: Try --calibration percentile or mse/);
  });

  it('says clearly when calibration data has the wrong shape, or the model is not one', async () => {
    const wrong = csv('wrong.csv', 10, 7, 1, 3);
    const r = await runCli(['convert', referencePath('ad01_fp32'), '--calib', wrong]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wrong\.csv: line 1 has 7 values, expected 640/);
    const junk = join(dir, 'junk.tflite');
    writeFileSync(junk, 'not a model at all');
    const j = await runCli(['convert', junk, '--calib', wrong, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).error.code).toMatch(/^TFLITE_/);
    const q = await runCli(['convert', referencePath('ad01_int8'), '--calib', adCalib]);
    expect(q.code).toBe(1);
    expect(q.stderr).toMatch(/one float32 input/);
  });
});
