import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording } from '../../src/sensing/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-record-'));

describe('tinygate record', () => {
  it('records a board through johnny-five at the sampling rate, with gateway timestamps', async () => {
    const file = join(dir, 'rec.csv');
    const r = await runCli(
      ['record', '--scenario', 'healthy', '--rate', '500', '--duration', '2', '-o', file, '--json'],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.notEmulated).toEqual(['ambient']);
    expect(doc.silentChannels).toEqual([]);
    expect(doc.rows).toBeGreaterThan(850);
    expect(doc.rows).toBeLessThan(1150);
    const rec = readRecording(file);
    expect(rec.rateHz).toBeCloseTo(500, 6);
    const ts = rec.columns.get('ts')!;
    expect(ts[ts.length - 1]! - ts[0]!).toBeGreaterThan(1500);
    expect([...rec.columns.keys()]).toEqual([
      'ts',
      'vib.x',
      'vib.y',
      'vib.z',
      'temp',
      'imu.x',
      'imu.y',
      'imu.z',
      'imu_temp',
    ]);
    const side = JSON.parse(readFileSync(join(dir, 'rec.channels.json'), 'utf8'));
    expect(side).toMatchObject({ source: 'record', rateHz: 500 });
  }, 40_000);

  it('needs exactly one of --port or --scenario', async () => {
    const r = await runCli(['record', '--duration', '1', '-o', join(dir, 'x.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exactly one of --port or --scenario/);
  });

  it('says clearly when the sensor file is missing, or no board answers on the port', async () => {
    const missing = await runCli([
      'record',
      '--port',
      '/dev/null',
      '--sensors',
      join(dir, 'none.yaml'),
      '--duration',
      '1',
      '-o',
      join(dir, 'y.csv'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/none\.yaml: cannot read sensor specs/);
    const specs = join(dir, 'sensors.yaml');
    writeFileSync(specs, '- { type: thermometer, controller: LM35, name: temp, pin: A0 }\n');
    const r = await runCli(
      [
        'record',
        '--port',
        '/dev/does-not-exist',
        '--sensors',
        specs,
        '--duration',
        '1',
        '--connect-timeout',
        '2',
        '-o',
        join(dir, 'z.csv'),
        '--json',
      ],
      { timeoutMs: 20_000 },
    );
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('RECORD_NO_BOARD');
    expect(err.message).toMatch(/no Firmata board streamed on \/dev\/does-not-exist within 2 s/);
  }, 30_000);
});
