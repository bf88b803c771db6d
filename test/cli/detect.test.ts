// `tinygate detect`: the online detector over a timestamped CSV of any rate, as a user runs it. Raw NAB files
// (timestamp,value; 5-minute rows; a clock that steps back once) read as they are; hourly data with a daily
// cycle learns the cycle and flags a level drop; mistakes get errors that say what was wrong.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import { ROOT, runCli } from '../helpers/cli.js';

const NAB = join(ROOT, '..', 'shared', 'datasets', 'nab');
const haveNab = existsSync(join(NAB, 'labels', 'combined_windows.json'));
if (!haveNab)
  console.warn(`skipping the NAB-file detect test: ${NAB} is absent (it ships beside the project)`);

const dir = mkdtempSync(join(tmpdir(), 'tg-detect-'));

describe('tinygate detect', () => {
  it.skipIf(!haveNab)(
    'reads a raw NAB file, finds labelled failures, and writes scores and a plot',
    async () => {
      const csv = join(NAB, 'data', 'realKnownCause', 'machine_temperature_system_failure.csv');
      const scores = join(dir, 'scores.csv');
      const plot = join(dir, 'run.svg');
      const r = await runCli(
        [
          'detect',
          csv,
          '--labels',
          join(NAB, 'labels', 'combined_windows.json'),
          '--scores',
          scores,
          '--plot',
          plot,
          '--json',
        ],
        { timeoutMs: 60_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.rows).toBe(22695);
      expect(out.intervalS).toBe(300);
      expect(out.timeSteppedBack.rows).toBe(1);
      expect(out.labelledWindows).toBe(4);
      // The first labelled window falls in the default learning period (15 %): the three after it are watched.
      expect(out.windowsWithAlert).toBeGreaterThanOrEqual(2);
      expect(out.alertsPerDayWatched).toBeLessThan(0.5);
      const lines = readFileSync(scores, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('time,value,surprise,threshold,verdict,alarm');
      expect(lines).toHaveLength(22696);
      expect(lines[1]!.startsWith('2013-12-02T21:15:00.000Z,73.96732207')).toBe(true);
      expect(lines.filter((l) => l.endsWith(',raised'))).toHaveLength(out.alerts.length);
      const svg = readFileSync(plot, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.match(/stroke="#c0392b" stroke-width="1.5"/g)?.length).toBe(out.alerts.length * 2);
    },
    90_000,
  );

  it('learns a daily cycle in hourly epoch-timestamped data and flags a level drop, not the cycle', async () => {
    const rng = new Rng(5);
    const start = Date.UTC(2024, 0, 1) / 1000;
    const rows = ['time,temp_c'];
    const hours = 60 * 24;
    const dropAt = 45 * 24 + 7;
    for (let h = 0; h < hours; h++) {
      const v = 40 + 6 * Math.sin((2 * Math.PI * h) / 24) + rng.gaussian() * 0.4 - (h >= dropAt ? 5 : 0);
      rows.push(`${start + h * 3600},${v.toFixed(3)}`);
    }
    const csv = join(dir, 'hourly.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const r = await runCli(['detect', csv, '--learn', '20d', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.intervalS).toBe(3600);
    expect(out.seasonsS).toEqual([86_400]);
    expect(out.learning.rows).toBe(20 * 24);
    const rowsOf = out.alerts.map((a: { row: number }) => a.row);
    expect(rowsOf.filter((i: number) => i < dropAt)).toEqual([]);
    expect(rowsOf.some((i: number) => i >= dropAt && i <= dropAt + 6)).toBe(true);
  }, 60_000);

  it('says what is wrong with the data, with the numbers', async () => {
    const noTime = join(dir, 'no-time.csv');
    writeFileSync(noTime, 'when,value\n1,2\n');
    const a = await runCli(['detect', noTime, '--json']);
    expect(a.code).not.toBe(0);
    const noTimeError = JSON.parse(a.stdout).error;
    expect(noTimeError.message).toMatch(/line 1: no time column/);
    expect(noTimeError.hint).toMatch(/it has: when, value/);

    const short = join(dir, 'short.csv');
    writeFileSync(
      short,
      `timestamp,value\n${Array.from({ length: 40 }, (_, i) => `2024-01-01 00:${String(i).padStart(2, '0')}:00,${i % 3}`).join('\n')}\n`,
    );
    const b = await runCli(['detect', short, '--json']);
    const err = JSON.parse(b.stdout).error;
    expect(err.code).toBe('DETECT_TOO_LITTLE_DATA');
    expect(err.message).toMatch(/40 rows; learning on 6 of them .* at least 64/);

    const c = await runCli(['detect', short, '--threshold', '2/window', '--json']);
    expect(JSON.parse(c.stdout).error.message).toMatch(/--threshold 2\/window: not a false-alarm rate/);
  }, 60_000);
});

describe('tinygate eval --scores --plot', () => {
  it.skipIf(!haveNab)(
    'writes every window of a trained model on NAB data, with labels, as CSV and SVG',
    async () => {
      const slice = join(dir, 'machine-start.csv');
      const csv = join(NAB, 'data', 'realKnownCause', 'machine_temperature_system_failure.csv');
      writeFileSync(slice, `${readFileSync(csv, 'utf8').split('\n').slice(0, 3001).join('\n')}\n`);
      const model = join(dir, 'model');
      const t = await runCli(
        ['train', '--data', slice, '--channels', 'value', '-o', model, '--epochs', '10', '--json'],
        {
          timeoutMs: 120_000,
        },
      );
      expect(t.code, t.stderr).toBe(0);
      const scores = join(dir, 'eval-scores.csv');
      const plot = join(dir, 'eval.svg');
      const e = await runCli(
        [
          'eval',
          '--model',
          model,
          '--data',
          csv,
          '--labels',
          join(NAB, 'labels', 'combined_windows.json'),
          '--checks',
          'off',
          '--scores',
          scores,
          '--plot',
          plot,
          '--json',
        ],
        { timeoutMs: 120_000 },
      );
      expect(e.code, e.stderr).toBe(0);
      const report = JSON.parse(e.stdout);
      const lines = readFileSync(scores, 'utf8').trim().split('\n');
      expect(lines[0]).toBe(
        'end,fault,severity,sensor_check,float_score,float_threshold,float_verdict,baseline_score,baseline_threshold,baseline_verdict',
      );
      expect(lines).toHaveLength(report.windows.total + 1);
      expect(lines.filter((l) => l.includes(',labelled,1,')).length).toBeGreaterThan(400);
      expect(lines[1]!.startsWith('2013-12-0')).toBe(true);
      expect(report.scorers[0].alerts.all).toHaveLength(
        report.scorers[0].alerts.machine + report.scorers[0].alerts.sensor,
      );
      const svg = readFileSync(plot, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('fill="#f6c343"');
    },
    240_000,
  );
});
