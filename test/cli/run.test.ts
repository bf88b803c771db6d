// `tinygate run` as a service manager runs it: bad configs are refused with file and line, and SIGTERM
// stops it cleanly with the boards and the gateway marked offline on a real mosquitto broker.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { haveMosquitto, type Mosquitto, startMosquitto } from '../publish/mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-run-'));
function configFile(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const BOARD = `
  - id: press
    profile: virtual-host
    virtual: { scenario: healthy, firmware: js }
    samplingRateHz: 200
    sensors:
      - { type: accelerometer, controller: ADXL335, name: vib, pins: [A0, A1, A2] }
`;

describe('tinygate run: broken configs', () => {
  it('names the file and line of a YAML syntax error', async () => {
    const f = configFile('syntax.yaml', `gateway: { id: plant\nboards:\n  - id: x\n`);
    const r = await runCli(['run', '--config', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/syntax\.yaml:\d+:\d+: not valid YAML/);
  });

  it('names the line and the field of a wrong value, and an unknown board profile', async () => {
    const bad = configFile(
      'fields.yaml',
      `gateway: { id: plant }\nboards:${BOARD.replace('samplingRateHz: 200', 'samplingRateHz: -5')}`,
    );
    const r = await runCli(['run', '--config', bad, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fields\.yaml:6: boards\.0\.samplingRateHz: /);
    expect(JSON.parse(r.stdout).error.code).toBe('CONFIG_INVALID');

    const profile = configFile(
      'profile.yaml',
      `boards:${BOARD.replace('profile: virtual-host', 'profile: arduino-unoo')}`,
    );
    const p = await runCli(['run', '--config', profile]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/profile\.yaml:3: boards\.0\.profile: no board profile "arduino-unoo"/);
    expect(p.stderr).toMatch(/hint: Known profiles: .*arduino-uno/);
  });

  it('says which file is missing', async () => {
    const r = await runCli(['run', '--config', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.yaml: ENOENT/);
    expect(r.stderr).toMatch(/hint: Check the path given to --config/);
  });
});

describe.skipIf(!haveMosquitto())('tinygate run against mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ auth: true });
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it('streams, logs JSON, and on SIGTERM publishes everything offline and exits 0', async () => {
    const f = configFile(
      'mosquitto.yaml',
      [
        'gateway: { id: plant, dataDir: ./data }',
        `boards:${BOARD}`,
        `mqtt: { url: "${broker.url}", username: ${broker.username}, password: ${broker.password} }`,
        'dashboard: { port: 0 }',
      ].join('\n'),
    );
    const seen = new Map<string, string>();
    const client = mqtt.connect(broker.url, { username: broker.username, password: broker.password });
    client.on('message', (t, p) => seen.set(t, p.toString()));
    await new Promise<void>((r) =>
      client.once('connect', () => client.subscribe('tinygate/plant/#', () => r())),
    );

    const child = spawn(process.execPath, [BIN, 'run', '--config', f, '--json'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const until = Date.now() + 20_000;
    while (seen.get('tinygate/plant/press/status') !== 'online' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    expect(seen.get('tinygate/plant/press/status'), stderr).toBe('online');
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Logs are JSON lines on stderr; the summary is the one JSON document on stdout.
    const logs = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(logs.some((l) => /board press streaming/.test(l.msg))).toBe(true);
    const summary = JSON.parse(stdout) as { stoppedBy: string; boards: { id: string; windows: number }[] };
    expect(summary.stoppedBy).toBe('signal');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.get('tinygate/plant/press/status')).toBe('offline');
    expect(seen.get('tinygate/plant/status')).toBe('offline');
    await client.endAsync();
  }, 40_000);
});
