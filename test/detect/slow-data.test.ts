// Training and evaluation on slow, timestamped data as a plant has it: NAB's raw 5-minute files and hourly
// readings. Each case failed before (no time column, the rate rounded to 0.003 Hz then refused, hourly data
// refused as 0 Hz, a tiny window training to threshold NaN, minimum-data errors without the numbers).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import { ROOT, runCli } from '../helpers/cli.js';

const NAB = join(ROOT, '..', 'shared', 'datasets', 'nab');
const haveNab = existsSync(join(NAB, 'labels', 'combined_windows.json'));
if (!haveNab)
  console.warn(`skipping the NAB train/eval test: ${NAB} is absent (it ships beside the project)`);
const dir = mkdtempSync(join(tmpdir(), 'tg-slow-'));
const MACHINE = join(NAB, 'data', 'realKnownCause', 'machine_temperature_system_failure.csv');

describe('train and eval on slow timestamped data', () => {
  it.skipIf(!haveNab)(
    'trains on a raw NAB slice, says what it picked, and evaluates with NAB labels, checks off',
    async () => {
      const slice = join(dir, 'machine-start.csv');
      writeFileSync(slice, `${readFileSync(MACHINE, 'utf8').split('\n').slice(0, 3001).join('\n')}\n`);
      const out = join(dir, 'm');
      const t = await runCli(
        ['train', '--data', slice, '--channels', 'value', '-o', out, '--epochs', '20', '--json'],
        {
          timeoutMs: 120_000,
        },
      );
      expect(t.code, t.stderr).toBe(0);
      const trained = JSON.parse(t.stdout);
      expect(trained.picked.join(' ')).toMatch(
        /window 16 rows every 4 and slow-signal features .* one sample every 5 min/,
      );
      expect(Number.isFinite(trained.threshold)).toBe(true);
      const pipeline = JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8'));
      expect(Math.abs(pipeline.features.sampleRateHz * 300 - 1)).toBeLessThan(1e-5);

      const e = await runCli(
        [
          'eval',
          '--model',
          out,
          '--data',
          MACHINE,
          '--labels',
          join(NAB, 'labels', 'combined_windows.json'),
          '--checks',
          'off',
          '--json',
        ],
        { timeoutMs: 120_000 },
      );
      expect(e.code, e.stderr).toBe(0);
      const ev = JSON.parse(e.stdout);
      expect(ev.windows.positive).toBeGreaterThan(400);
      expect(ev.windows.sensorFlagged).toBe(0);
      // Time figures from real time: 22,695 rows every 5 minutes are 78.8 days.
      const normalHours = ev.scorers[0].falseAlarms.normalHours;
      expect(normalHours).toBeGreaterThan(1500);
      expect(normalHours).toBeLessThan(1900);
    },
    240_000,
  );

  it('trains on hourly readings (one sample every 3600 s is not 0 Hz)', async () => {
    const rng = new Rng(2);
    const rows = ['timestamp,temp'];
    for (let h = 0; h < 24 * 60; h++) {
      const ts = new Date(Date.UTC(2024, 0, 1) + h * 3_600_000).toISOString();
      rows.push(`${ts},${(20 + 5 * Math.sin((2 * Math.PI * h) / 24) + rng.gaussian() * 0.3).toFixed(3)}`);
    }
    const csv = join(dir, 'hourly.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const r = await runCli(
      ['train', '--data', csv, '--channels', 'temp', '-o', join(dir, 'h'), '--epochs', '10', '--json'],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const rate = JSON.parse(readFileSync(join(dir, 'h', 'pipeline.json'), 'utf8')).features.sampleRateHz;
    expect(Math.abs(rate * 3600 - 1)).toBeLessThan(1e-5);
  }, 180_000);

  it('refuses a window too small for its bands, and too little data, with the numbers', async () => {
    const rows = ['t,v'];
    for (let i = 0; i < 300; i++) rows.push(`${i},${Math.sin(i / 3).toFixed(4)}`);
    const csv = join(dir, 'short.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const tiny = await runCli([
      'train',
      '--data',
      csv,
      '--channels',
      'v',
      '-o',
      join(dir, 'x'),
      '--window',
      '8',
      '--json',
    ]);
    const tinyError = JSON.parse(tiny.stdout).error;
    expect(tinyError.message).toMatch(
      /8 bands need a window of at least 16 samples \(a window of 8 has 4 frequency bins\)/,
    );

    const few = await runCli(
      ['train', '--data', csv, '--channels', 'v', '-o', join(dir, 'y'), '--window', '64', '--json'],
      {
        timeoutMs: 60_000,
      },
    );
    const fewError = JSON.parse(few.stdout).error;
    expect(fewError.code).toBe('TRAIN_TOO_LITTLE_DATA');
    expect(fewError.message).toMatch(
      /8 usable normal windows from 5\.0 min of data .* 7 to train \(need 32\) and 1 to validate \(need 16/,
    );
  }, 120_000);
});
