import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublisher,
  parseMqttConfig,
  readJournal,
  startEmbeddedBroker,
} from '../../src/publish/index.js';
import { makeAlert, memoryLogger, subscriber, tcpProxy, waitFor } from './fixtures.js';
import { freePort, haveMosquitto, type Mosquitto, startMosquitto } from './mosquitto.js';

const fast = { minMs: 50, maxMs: 400 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function journalDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tg-pub-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function publisher(config: Parameters<typeof createPublisher>[0]['config'], gatewayId = 'gw1') {
  const log = memoryLogger();
  const p = await createPublisher({ gatewayId, config, logger: log });
  cleanups.push(() => p.close({ drainMs: 0 }));
  return { p, log };
}

describe('mqtt config', () => {
  it('fills defaults and names every bad field', () => {
    const c = parseMqttConfig({ journal: { path: '/var/lib/tinygate/journal' } });
    expect(c.journal.maxBytes).toBe(16 * 1024 * 1024);
    expect(c.reconnect).toEqual({ minMs: 1000, maxMs: 30_000 });
    expect(() =>
      parseMqttConfig({
        url: 'http://broker',
        embedded: { port: 1883 },
        cert: 'c.pem',
        sparkplug: { enabled: true, groupId: 'a/b', edgeNodeId: 'n' },
        journal: {},
      }),
    ).toThrow(
      /mqtt\.url: must be an mqtt:\/\/ or mqtts:\/\/ URL.*mqtt\.sparkplug\.groupId.*mqtt\.journal\.path/,
    );
    expect(() => parseMqttConfig({ url: 'mqtt://a', embedded: { port: 1 }, journal: { path: 'x' } })).toThrow(
      /either url .* or embedded/,
    );
  });
});

describe.skipIf(!haveMosquitto())('publisher with a real mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it('delivers journaled alerts at QoS 1 over MQTT 5 with the alert id as a user property', async () => {
    const sub = await subscriber(broker.url, ['tinygate/gw1/+/alert', 'tinygate/gw1/status'], {
      username: broker.username,
      password: broker.password,
    });
    cleanups.push(() => sub.close());
    const dir = journalDir();
    const { p } = await publisher({
      url: broker.url,
      username: broker.username,
      password: broker.password,
      journal: { path: dir },
      reconnect: fast,
    });
    const alerts = Array.from({ length: 20 }, (_, i) => makeAlert(i, i % 2 ? 'motor-1' : 'pump-2'));
    for (const a of alerts) await p.publishAlert(a);
    expect(await p.drained(10_000)).toBe(true);
    await waitFor(
      '20 alerts at the subscriber',
      () => sub.messages.filter((m) => m.topic.endsWith('/alert')).length >= 20,
    );

    const got = sub.messages.filter((m) => m.topic.endsWith('/alert'));
    const byId = new Map(got.map((m) => [JSON.parse(m.payload.toString()).id as string, m]));
    for (const a of alerts) {
      const m = byId.get(a.id)!;
      expect(m.topic).toBe(`tinygate/gw1/${a.board}/alert`);
      expect(JSON.parse(m.payload.toString())).toEqual({ v: 1, gateway: 'gw1', ...a, event_type: a.kind });
      expect(m.userProperties?.['alert-id']).toBe(a.id);
      expect(m.retain).toBe(false);
    }
    expect(p.status()).toMatchObject({ connected: true, protocolVersion: 5, delivered: 20 });
    expect(
      sub.messages.some((m) => m.topic === 'tinygate/gw1/status' && m.payload.toString() === 'online'),
    ).toBe(true);
    // Acks reached the journal: a later start would not send them again.
    await p.close();
    expect((await readJournal(dir)).entries.every((e) => e.acked)).toBe(true);
  });

  it('publishes the gateway status "offline" as its will when it dies, and on a clean close', async () => {
    const sub = await subscriber(broker.url, ['tinygate/gw-will/status'], {
      username: broker.username,
      password: broker.password,
    });
    cleanups.push(() => sub.close());
    const proxy = await tcpProxy(broker.port);
    cleanups.push(() => proxy.close());
    const { p } = await publisher(
      {
        url: proxy.url,
        username: broker.username,
        password: broker.password,
        journal: { path: journalDir() },
        reconnect: fast,
      },
      'gw-will',
    );
    const statuses = () => sub.messages.map((m) => m.payload.toString());
    await waitFor('online', () => statuses().includes('online'));
    // Cut the TCP connection as a crash or network failure would: the broker publishes the will.
    proxy.cut();
    await waitFor('offline will', () => statuses().includes('offline'));
    await waitFor('online again', () => statuses().lastIndexOf('online') > statuses().indexOf('offline'));
    await p.close();
    await waitFor('offline on close', () => statuses().at(-1) === 'offline');
  });

  it('a wrong password: clear error, alerts kept in the journal, retries with backoff, delivered once fixed', async () => {
    const dir = journalDir();
    const log = memoryLogger();
    const bad = await createPublisher({
      gatewayId: 'gw-auth',
      config: {
        url: broker.url,
        username: broker.username,
        password: 'wrong',
        journal: { path: dir },
        reconnect: fast,
      },
      logger: log,
    });
    const alerts = [makeAlert(1), makeAlert(2)];
    for (const a of alerts) await bad.publishAlert(a);
    await waitFor('three refused attempts', () => bad.status().connectAttempts >= 3);
    const s = bad.status();
    expect(s.connected).toBe(false);
    expect(s.lastError).toMatchObject({
      code: 'MQTT_AUTH',
      message: expect.stringContaining('user "gateway"'),
    });
    expect(s.lastError?.hint).toMatch(/mqtt\.password/);
    expect(s.journal.unacked).toBe(2);
    // Logged once, not once per retry.
    expect(log.lines.filter((l) => l.level === 'warn' && /not authorized/.test(l.msg ?? ''))).toHaveLength(1);
    await bad.close();

    const sub = await subscriber(broker.url, ['tinygate/gw-auth/+/alert'], {
      username: broker.username,
      password: broker.password,
    });
    cleanups.push(() => sub.close());
    const { p } = await publisher(
      {
        url: broker.url,
        username: broker.username,
        password: broker.password,
        journal: { path: dir },
        reconnect: fast,
      },
      'gw-auth',
    );
    await waitFor('both alerts', () => sub.messages.length >= 2);
    expect(sub.messages.map((m) => JSON.parse(m.payload.toString()).id).sort()).toEqual(
      alerts.map((a) => a.id).sort(),
    );
    expect(await p.drained()).toBe(true);
  });

  it('an unreachable broker: clear error, publishAlert still resolves at once from the journal', async () => {
    const port = await freePort();
    const { p } = await publisher({
      url: `mqtt://127.0.0.1:${port}`,
      journal: { path: journalDir() },
      reconnect: fast,
    });
    const t0 = Date.now();
    await p.publishAlert(makeAlert(1));
    expect(Date.now() - t0).toBeLessThan(1000);
    await waitFor('a connection error', () => p.status().lastError !== null);
    expect(p.status().lastError).toMatchObject({
      code: 'MQTT_UNREACHABLE',
      message: expect.stringContaining(`${port}`),
    });
    expect(p.status().journal.unacked).toBe(1);
  });
});

describe.skipIf(!haveMosquitto())('publisher over TLS', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: true });
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  it('connects over mqtts:// with the CA given, and says the certificate is untrusted without it', async () => {
    const creds = { username: broker.username, password: broker.password };
    const { p } = await publisher({
      url: broker.url,
      ...creds,
      ca: broker.caFile,
      journal: { path: journalDir() },
      reconnect: fast,
    });
    await p.publishAlert(makeAlert(1));
    expect(await p.drained()).toBe(true);

    const { p: untrusted } = await publisher(
      { url: broker.url, ...creds, journal: { path: journalDir() }, reconnect: fast },
      'gw-untrusted',
    );
    await waitFor('a TLS error', () => untrusted.status().lastError !== null);
    expect(untrusted.status().lastError).toMatchObject({
      code: 'MQTT_TLS',
      hint: expect.stringMatching(/mqtt\.ca/),
    });
  });

  it('a missing CA file is a clear error before anything starts', async () => {
    await expect(
      createPublisher({
        gatewayId: 'gw',
        config: { url: broker.url, ca: '/nonexistent/ca.pem', journal: { path: journalDir() } },
      }),
    ).rejects.toMatchObject({
      code: 'MQTT_TLS_FILE',
      message: expect.stringContaining('/nonexistent/ca.pem'),
    });
  });
});

describe('embedded broker (aedes, MQTT 3.1.1 only)', () => {
  it('starts when no url is set, and the publisher falls back from MQTT 5 to 3.1.1', async () => {
    const port = await freePort();
    const { p } = await publisher({ embedded: { port }, journal: { path: journalDir() }, reconnect: fast });
    expect(p.brokerUrl).toBe(`mqtt://127.0.0.1:${port}`);
    const sub = await subscriber(p.brokerUrl, ['tinygate/gw1/+/alert'], { protocolVersion: 4 });
    cleanups.push(() => sub.close());
    const alert = makeAlert(1);
    await p.publishAlert(alert);
    await waitFor('the alert', () => sub.messages.length === 1);
    expect(JSON.parse(sub.messages[0]!.payload.toString()).id).toBe(alert.id);
    expect(p.status()).toMatchObject({ connected: true, protocolVersion: 4, embedded: true });
  });

  it('a port in use is a clear error naming the port', async () => {
    const first = await startEmbeddedBroker({ port: 0 });
    cleanups.push(() => first.close());
    await expect(startEmbeddedBroker({ port: first.port })).rejects.toMatchObject({
      code: 'BROKER_PORT',
      message: expect.stringContaining(`127.0.0.1:${first.port} is already in use`),
    });
  });
});
