import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertJournal, startEmbeddedBroker } from '../../src/publish/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { makeAlert, subscriber, waitFor } from './fixtures.js';
import { haveMosquitto, startMosquitto } from './mosquitto.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function journalWith(n: number, ackFirst: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-cli-alerts-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const j = await AlertJournal.open(dir, { maxBytes: 1024 * 1024 });
  const alerts = Array.from({ length: n }, (_, i) => makeAlert(i, i % 2 ? 'motor-1' : 'pump-2'));
  for (const a of alerts) {
    const e = await j.append(a);
    if (e.seq <= ackFirst) j.ack(e.seq);
  }
  await j.close();
  return { dir, alerts };
}

describe('tinygate broker', () => {
  it('runs the embedded broker, prints its address as JSON, carries messages, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'broker', '--port', '0', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    await waitFor('the address', () => out.includes('}'), 20_000);
    const doc = JSON.parse(out) as { url: string; port: number };
    expect(doc.url).toBe(`mqtt://127.0.0.1:${doc.port}`);

    const sub = await subscriber(doc.url, ['t/#'], { protocolVersion: 4 });
    cleanups.push(() => sub.close());
    const pub = mqtt.connect(doc.url, { protocolVersion: 4 });
    cleanups.push(() => new Promise<void>((r) => pub.end(true, () => r())));
    await new Promise((r) => pub.once('connect', r));
    pub.publish('t/1', 'hello', { qos: 1 });
    await waitFor('message through the broker', () => sub.messages.length === 1);

    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('a port in use is exit 1 with the port and what to do', async () => {
    const taken = await startEmbeddedBroker({ port: 0 });
    cleanups.push(() => taken.close());
    const r = await runCli(['broker', '--port', String(taken.port)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${taken.port} is already in use`);
    expect(r.stderr).toMatch(/hint: .*mqtt\.url/);
  });
});

describe('tinygate alerts list', () => {
  it('lists kept alerts and which are unacknowledged, as JSON and as a table', async () => {
    const { dir, alerts } = await journalWith(5, 2);
    const r = await runCli(['alerts', 'list', '--journal', dir, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ kept: 5, unacked: 3, matching: 5 });
    expect(doc.entries.map((e: { alert: { id: string } }) => e.alert.id)).toEqual(alerts.map((a) => a.id));

    const only = JSON.parse(
      (await runCli(['alerts', 'list', '--journal', dir, '--unacked', '--board', 'pump-2', '--json'])).stdout,
    );
    expect(only.entries.map((e: { alert: { id: string } }) => e.alert.id)).toEqual([
      alerts[2]!.id,
      alerts[4]!.id,
    ]);

    const human = await runCli(['alerts', 'list', '--journal', dir, '--limit', '2']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(alerts[4]!.id);
    expect(human.stdout).not.toContain(alerts[0]!.id);
    expect(human.stdout).toMatch(/5 alerts kept .*, 3 not yet acknowledged/);
  });

  it('a folder without a journal is exit 1 with a hint', async () => {
    const r = await runCli(['alerts', 'list', '--journal', '/nonexistent/journal', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'JOURNAL_MISSING',
      hint: expect.stringMatching(/mqtt\.journal\.path/),
    });
  });
});

describe.skipIf(!haveMosquitto())('tinygate alerts replay', () => {
  it('publishes the selected alerts again at QoS 1 with their ids', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const { dir, alerts } = await journalWith(4, 4);
    const sub = await subscriber(broker.url, ['tinygate/gw9/+/alert'], {
      username: broker.username,
      password: broker.password,
    });
    cleanups.push(() => sub.close());
    const r = await runCli(
      [
        'alerts',
        'replay',
        '--journal',
        dir,
        '--gateway',
        'gw9',
        '--url',
        broker.url,
        '--username',
        broker.username,
        '--board',
        'motor-1',
        '--json',
      ],
      { env: { TINYGATE_MQTT_PASSWORD: broker.password } },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ published: 2, skipped: 2, protocolVersion: 5 });
    await waitFor('2 replayed alerts', () => sub.messages.length === 2);
    expect(sub.messages.map((m) => JSON.parse(m.payload.toString()).id).sort()).toEqual(
      [alerts[1]!.id, alerts[3]!.id].sort(),
    );
  });

  it('a bad --since is exit 1 saying what a time looks like', async () => {
    const { dir } = await journalWith(1, 0);
    const r = await runCli([
      'alerts',
      'replay',
      '--journal',
      dir,
      '--gateway',
      'g',
      '--url',
      'mqtt://127.0.0.1:1',
      '--since',
      'yesterday-ish',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--since yesterday-ish is not a time/);
  });
});
