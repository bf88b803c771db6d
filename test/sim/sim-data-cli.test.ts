import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording } from '../../src/sensing/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-sim-data-'));

describe('tinygate sim data', () => {
  it('writes a labelled CSV the host virtual board can replay, and a channel sidecar', async () => {
    const file = join(dir, 'bearing.csv');
    const r = await runCli([
      'sim',
      'data',
      '--scenario',
      'bearing-outer-race',
      '--duration',
      '2',
      '-o',
      file,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.rows).toBe(2000);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2001);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 5)).toEqual(['t', 'A0', 'A1', 'A2', 'A3']);
    for (const c of [
      'mpu6050.ax',
      'mpu6050.gz',
      'mpu6050.temp',
      'bme280.temp',
      'bme280.pressure',
      'bme280.humidity',
    ])
      expect(header).toContain(c);
    expect(header.slice(-3)).toEqual(['fault', 'severity', 'sensor_fault']);
    // t strictly increasing, as the host board's parser requires
    const rec = readRecording(file);
    for (let i = 1; i < rec.t.length; i++) expect(rec.t[i]!).toBeGreaterThan(rec.t[i - 1]!);
    expect(rec.rateHz).toBeCloseTo(1000, 3);
    const sidecar = JSON.parse(readFileSync(join(dir, 'bearing.channels.json'), 'utf8'));
    expect(sidecar.channels.map((c: { name: string }) => c.name)).toContain('vib.x');
  });

  it('lists the shipped scenarios', async () => {
    const r = await runCli(['sim', 'data', '--list', '--json']);
    expect(r.code).toBe(0);
    const names = JSON.parse(r.stdout).map((s: { name: string }) => s.name);
    for (const n of [
      'healthy',
      'bearing-outer-race',
      'imbalance',
      'misalignment',
      'looseness',
      'overheating',
      'sensor-dropout',
      'sensor-stuck',
      'sensor-spikes',
    ])
      expect(names).toContain(n);
  });

  it('an unknown scenario is a user error with the shipped names as hint', async () => {
    const r = await runCli(['sim', 'data', '--scenario', 'no-such', '-o', join(dir, 'x.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no shipped scenario named "no-such"/);
    expect(r.stderr).toMatch(/hint: Shipped: .*healthy/);
  });

  it('a scenario file with a bad field names the file and the field', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'name: bad\ndurationS: 10\nfaults:\n  - { kind: cracked-shaft, onsetS: 1 }\n');
    const r = await runCli(['sim', 'data', '--scenario', f, '-o', join(dir, 'bad.csv'), '--json']);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('SCENARIO_INVALID');
    expect(err.message).toMatch(/bad\.yaml: faults\.0\.kind/);
  });
});
