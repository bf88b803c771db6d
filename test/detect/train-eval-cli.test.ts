import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-train-eval-'));
const model = join(dir, 'motor-1');
const healthy = join(dir, 'healthy.csv');
const faulty = join(dir, 'bearing.csv');

describe('tinygate train and eval', () => {
  beforeAll(async () => {
    const scen = join(dir, 'bearing.yaml');
    writeFileSync(
      scen,
      [
        'name: bearing-short',
        'seed: 31',
        'durationS: 90',
        'faults:',
        '  - { kind: bearing-outer-race, onsetS: 30, rampS: 20, severity: moderate }',
        'sensorFaults:',
        '  - { kind: stuck, target: vib.y, onsetS: 70, durationS: 10 }',
      ].join('\n'),
    );
    for (const args of [
      ['sim', 'data', '--scenario', 'healthy', '--duration', '150', '--seed', '7', '-o', healthy],
      ['sim', 'data', '--scenario', scen, '-o', faulty],
    ]) {
      const r = await runCli(args, { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
    }
  }, 120_000);

  it('trains an autoencoder and writes the model folder with its card', async () => {
    const r = await runCli(
      [
        'train',
        '--data',
        healthy,
        '-o',
        model,
        '--channels',
        'vib.x,vib.y,vib.z',
        '--window',
        '256',
        '--epochs',
        '60',
        '--json',
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.features).toHaveLength(36);
    expect(doc.windows.validation).toBeGreaterThan(100);
    for (const f of ['model.json', 'weights.bin', 'pipeline.json', 'README.md'])
      expect(existsSync(join(model, f))).toBe(true);
    const topo = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    expect(topo.format).toBe('layers-model');
    expect(topo.weightsManifest[0].paths).toEqual(['weights.bin']);
    const side = JSON.parse(readFileSync(join(model, 'pipeline.json'), 'utf8'));
    expect(side.features.window).toEqual({ size: 256, hop: 128 });
    expect(side.threshold.value).toBe(doc.threshold);
    expect(side.normalization.mean).toHaveLength(36);
    expect(side.checks.map((c: { name: string }) => c.name)).toEqual(['vib.x', 'vib.y', 'vib.z']);
    const card = readFileSync(join(model, 'README.md'), 'utf8');
    expect(card).toContain(doc.hash);
    expect(card).toMatch(/tinygate train --data .*healthy\.csv/);
  }, 120_000);

  it('evaluates float and baseline side by side on labelled data', async () => {
    const r = await runCli(['eval', '--model', model, '--data', faulty, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.scorers.map((s: { scorer: string }) => s.scorer)).toEqual(['float', 'baseline']);
    const float = doc.scorers[0];
    expect(float.auc).toBeGreaterThanOrEqual(0.98);
    expect(float.detection).toHaveLength(1);
    expect(float.detection[0].fault).toBe('bearing-outer-race');
    expect(float.detection[0].alertS).not.toBeNull();
    expect(float.sensorFaults.windows).toBeGreaterThan(50);
    expect(float.sensorFaults.rate).toBeGreaterThanOrEqual(0.95);
    expect(float.sensorFaults.episodesWithSensorAlert).toBe(1);
    expect(float.sensorFaults.episodesWithMachineAlert).toBe(0);
    const human = await runCli(['eval', '--model', model, '--data', faulty], { timeoutMs: 60_000 });
    expect(human.stdout).toMatch(/AUC\s*│/);
    expect(human.stdout).toMatch(/float\s*│\s*baseline/);
  }, 120_000);

  it('converts the model to int8 from a recording and scores with it beside the float model', async () => {
    const missing = await runCli(
      ['eval', '--model', model, '--data', faulty, '--scorers', 'int8', '--json'],
      { timeoutMs: 60_000 },
    );
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('MODEL_NO_INT8');
    const int8 = join(model, 'model.int8.tflite');
    const c = await runCli(['convert', model, '--calib', healthy, '-o', int8, '--json'], {
      timeoutMs: 60_000,
    });
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).accuracy.snrDb).toBeGreaterThan(20);
    // A detection model keeps every value it saw: clipped ranges would saturate on faulty windows.
    expect(JSON.parse(c.stdout).calibration.strategy).toBe('minmax');
    const r = await runCli(
      ['eval', '--model', model, '--data', faulty, '--scorers', 'float,int8', '--json'],
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      scorers: { scorer: string; auc: number; falseAlarms: { machine: number } }[];
    };
    const [f, q] = doc.scorers;
    expect(q!.scorer).toBe('int8');
    expect(q!.auc).toBeGreaterThan(f!.auc - 0.02);
    expect(q!.falseAlarms.machine).toBeLessThanOrEqual(f!.falseAlarms.machine + 1);
  }, 120_000);

  it('refuses a tampered model, and an int8 file converted from another model', async () => {
    const tampered = join(dir, 'tampered');
    const cp = await import('node:fs/promises');
    await cp.cp(model, tampered, { recursive: true });
    const w = readFileSync(join(tampered, 'weights.bin'));
    w[0] = w[0]! ^ 0xff;
    writeFileSync(join(tampered, 'weights.bin'), w);
    const t = await runCli(['eval', '--model', tampered, '--data', faulty, '--json'], { timeoutMs: 60_000 });
    expect(t.code).toBe(1);
    expect(JSON.parse(t.stdout).error.code).toBe('MODEL_HASH_MISMATCH');
    // An int8 file from another model in this folder is stale: scoring with it would be wrong.
    const other = join(dir, 'other');
    await cp.cp(model, other, { recursive: true });
    await cp.copyFile(
      join(ROOT, 'models', 'motor-vib', 'model.int8.tflite'),
      join(other, 'model.int8.tflite'),
    );
    const s = await runCli(['eval', '--model', other, '--data', faulty, '--scorers', 'int8', '--json'], {
      timeoutMs: 60_000,
    });
    expect(s.code).toBe(1);
    expect(JSON.parse(s.stdout).error.code).toBe('MODEL_INT8_STALE');
  }, 120_000);

  it('refuses training data without enough normal windows, saying why', async () => {
    const tiny = join(dir, 'tiny.csv');
    expect((await runCli(['sim', 'data', '--scenario', 'healthy', '--duration', '5', '-o', tiny])).code).toBe(
      0,
    );
    const r = await runCli(['train', '--data', tiny, '-o', join(dir, 'nope'), '--json'], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('TRAIN_TOO_LITTLE_DATA');
  }, 60_000);
});
