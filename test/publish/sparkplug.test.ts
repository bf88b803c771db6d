// Sparkplug B 3.0 edge node, checked by decoding every message with sparkplug-payload as a host application would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import sparkplugPayload from 'sparkplug-payload';
import type { UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type MqttConfigInput, type Publisher } from '../../src/publish/index.js';
import { makeAlert, subscriber, tcpProxy, waitFor } from './fixtures.js';
import { freePort, haveMosquitto, type Mosquitto, startMosquitto } from './mosquitto.js';

const codec = sparkplugPayload.get('spBv1.0')!;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Long (uint64/int64 from protobuf) or number → number. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  throw new Error(`not a number: ${String(v)}`);
}

interface SpMessage {
  verb: string;
  device?: string;
  payload: UPayload;
}

const board = (id: string) => ({
  id,
  sensors: [
    { name: 'vibration_rms', unit: 'g' },
    { name: 'temperature', unit: '°C' },
    { name: 'vib.x', unit: 'g' },
  ],
});

describe.skipIf(!haveMosquitto())('Sparkplug B edge node', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.dispose();
  });

  async function host(group: string) {
    const sub = await subscriber(broker.url, [`spBv1.0/${group}/#`], {
      username: broker.username,
      password: broker.password,
    });
    cleanups.push(() => sub.close());
    // What the edge node sent (the host's own commands left out).
    const messages = (): SpMessage[] =>
      sub.messages
        .filter((m) => !/\/(NCMD|DCMD)\//.test(m.topic))
        .map((m) => {
          const [, , verb, , device] = m.topic.split('/');
          return { verb: verb!, device, payload: codec.decodePayload(m.payload) };
        });
    return { sub, messages };
  }

  async function edgeNode(
    url: string,
    dir: string,
    sparkplug: MqttConfigInput['sparkplug'],
  ): Promise<Publisher> {
    const p = await createPublisher({
      gatewayId: 'gw-sp',
      config: {
        url,
        username: broker.username,
        password: broker.password,
        journal: { path: dir },
        reconnect: { minMs: 50, maxMs: 300 },
        homeAssistant: { enabled: false },
        sparkplug,
      },
    });
    cleanups.push(() => p.close({ drainMs: 0 }));
    return p;
  }

  /**
   * A host application's retained STATE on `topic` (removed after the test): `publish(payload)` writes it.
   */
  async function hostState(topic: string): Promise<(payload: string) => Promise<unknown>> {
    const scada = mqtt.connect(broker.url, { username: broker.username, password: broker.password });
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          scada.publish(topic, '', { retain: true, qos: 1 }, () => scada.end(true, () => r()));
        }),
    );
    await new Promise((r) => scada.once('connect', r));
    return (payload) => new Promise((r) => scada.publish(topic, payload, { retain: true, qos: 1 }, r));
  }

  function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'tg-spb-'));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    return d;
  }

  it('births, data by alias, seq wrapping, bdSeq across a reconnect, Rebirth on NCMD, historical replay', async () => {
    const proxy = await tcpProxy(broker.port);
    cleanups.push(() => proxy.close());
    const { messages } = await host('plant-a');
    const dir = tempDir();
    const sp = { enabled: true, groupId: 'plant-a', edgeNodeId: 'edge-1' };
    const p = await edgeNode(proxy.url, dir, sp);
    p.boardOnline(board('motor-1'));
    p.boardOnline(board('pump-2'));
    await waitFor('NBIRTH and two DBIRTHs', () => messages().filter((m) => m.verb === 'DBIRTH').length === 2);

    const [nbirth, ...rest] = messages() as [SpMessage, ...SpMessage[]];
    expect(nbirth.verb).toBe('NBIRTH');
    expect(num(nbirth.payload.seq)).toBe(0);
    const nm = nbirth.payload.metrics!;
    const bdSeq = nm.find((m) => m.name === 'bdSeq')!;
    expect(bdSeq).toMatchObject({ type: 'Int64' });
    expect(num(bdSeq.value)).toBe(0);
    const rebirth = nm.find((m) => m.name === 'Node Control/Rebirth')!;
    expect(rebirth).toMatchObject({ type: 'Boolean', value: false });
    expect(rebirth.alias).toBeUndefined();
    // bdSeq has no alias either: hosts (Ignition) match it by name in NBIRTH and NDEATH.
    expect(bdSeq.alias).toBeUndefined();
    // Every birth metric has a timestamp; every one but the Node Control ones, bdSeq and the writable Device Control ones has
    // an alias, unique across the node.
    const births = [nbirth, ...rest.filter((m) => m.verb === 'DBIRTH')];
    const aliasOf = new Map<string, number>(); // "device/name" → alias
    const nameOf = new Map<number, string>();
    for (const b of births) {
      for (const m of b.payload.metrics!) {
        expect(m.timestamp).toBeDefined();
        if (
          m.name === 'Node Control/Rebirth' ||
          m.name === 'Node Control/Next Server' ||
          m.name === 'bdSeq' ||
          m.name === 'Device Control/Relearn' ||
          m.name === 'Device Control/Acknowledge'
        )
          continue;
        const a = num(m.alias);
        expect(nameOf.has(a)).toBe(false);
        nameOf.set(a, `${b.device ?? ''}/${m.name}`);
        aliasOf.set(`${b.device ?? ''}/${m.name}`, a);
      }
    }
    const dbirth = rest.find((m) => m.device === 'motor-1')!;
    expect(dbirth.payload.metrics!.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'Anomaly',
        'Score',
        'Threshold',
        'Sensors/vibration_rms',
        'Sensors/temperature',
        'Alert/Id',
      ]),
    );
    expect(dbirth.payload.metrics!.find((m) => m.name === 'Sensors/temperature')!.properties).toEqual({
      engUnit: { type: 'String', value: '°C' },
    });
    // Every metric name is a valid Ignition tag path: folders by '/', names without '.' (vib.x → vib_x).
    for (const m of dbirth.payload.metrics!)
      expect(m.name).toMatch(/^[A-Za-z0-9 _\-'():]+(\/[A-Za-z0-9 _\-'():]+)*$/);
    expect(dbirth.payload.metrics!.map((m) => m.name)).toContain('Sensors/vib_x');

    // 300 state changes: DDATA by alias only, seq +1 per message, wrapping 255 → 0.
    for (let i = 0; i < 300; i++) {
      p.publishState(i % 2 ? 'motor-1' : 'pump-2', {
        anomaly: i % 3 === 0,
        score: i / 10,
        threshold: 2.5,
        sensors: { vibration_rms: i / 100, temperature: 20 + i / 1000 },
        ts: Date.now(),
      });
    }
    await waitFor('300 DDATA', () => messages().filter((m) => m.verb === 'DDATA').length === 300);
    const session1 = messages();
    expect(session1.map((m) => num(m.payload.seq))).toEqual(session1.map((_, i) => i % 256));
    const last = session1.at(-1)!;
    expect(last.device).toBe('motor-1');
    for (const m of last.payload.metrics!) {
      expect(m.name).toBeUndefined();
      expect(nameOf.get(num(m.alias))?.startsWith('motor-1/')).toBe(true);
    }
    const score = last.payload.metrics!.find((m) => num(m.alias) === aliasOf.get('motor-1/Score'))!;
    expect(score.value).toBeCloseTo(29.9);

    // A live alert: DDATA with the alert metrics, not historical.
    const live = makeAlert(1, 'motor-1');
    await p.publishAlert(live);
    await waitFor('alert DDATA', () =>
      messages().some((m) => m.payload.metrics?.some((x) => x.value === live.id)),
    );
    const liveMsg = messages().find((m) => m.payload.metrics?.some((x) => x.value === live.id))!;
    expect(liveMsg.payload.metrics!.every((m) => m.isHistorical !== true)).toBe(true);
    expect(num(liveMsg.payload.metrics!.find((m) => m.value === live.id)!.alias)).toBe(
      aliasOf.get('motor-1/Alert/Id'),
    );

    // Network failure: the broker sends the NDEATH will with this session's bdSeq; alerts raised meanwhile
    // come out after the new birth, flagged historical.
    proxy.pause();
    proxy.cut();
    await waitFor('NDEATH', () => messages().some((m) => m.verb === 'NDEATH'));
    const ndeath = messages().find((m) => m.verb === 'NDEATH')!;
    expect(ndeath.payload.metrics!.map((m) => [m.name, num(m.value)])).toEqual([['bdSeq', 0]]);
    expect(ndeath.payload.seq).toBeUndefined();
    const late = makeAlert(2, 'pump-2');
    await p.publishAlert(late);
    const before = messages().length;
    proxy.resume();
    await waitFor('second NBIRTH', () =>
      messages()
        .slice(before)
        .some((m) => m.verb === 'NBIRTH'),
    );
    await waitFor('historical alert', () =>
      messages()
        .slice(before)
        .some((m) => m.payload.metrics?.some((x) => x.value === late.id)),
    );
    const session2 = messages().slice(before);
    expect(session2[0]!.verb).toBe('NBIRTH');
    expect(num(session2[0]!.payload.metrics!.find((m) => m.name === 'bdSeq')!.value)).toBe(1);
    expect(session2.map((m) => num(m.payload.seq))).toEqual(session2.map((_, i) => i));
    const lateMsg = session2.find((m) => m.payload.metrics?.some((x) => x.value === late.id))!;
    expect(lateMsg.payload.metrics!.every((m) => m.isHistorical === true)).toBe(true);
    // Rebirths reuse the aliases.
    for (const b of session2.filter((m) => m.verb === 'DBIRTH')) {
      for (const m of b.payload.metrics!)
        if (m.name !== 'Device Control/Relearn' && m.name !== 'Device Control/Acknowledge')
          expect(num(m.alias)).toBe(aliasOf.get(`${b.device}/${m.name}`));
    }

    // Rebirth requested by the host: NBIRTH with the same bdSeq (no new CONNECT), seq back to 0, DBIRTHs.
    const before2 = messages().length;
    const cmd = mqtt.connect(broker.url, { username: broker.username, password: broker.password });
    cleanups.push(() => new Promise<void>((r) => cmd.end(true, () => r())));
    await new Promise((r) => cmd.once('connect', r));
    cmd.publish(
      'spBv1.0/plant-a/NCMD/edge-1',
      Buffer.from(
        codec.encodePayload({
          timestamp: Date.now(),
          metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
        }),
      ),
    );
    await waitFor(
      'rebirth',
      () =>
        messages()
          .slice(before2)
          .filter((m) => m.verb === 'DBIRTH').length === 2,
    );
    const session3 = messages().slice(before2);
    expect(session3[0]!.verb).toBe('NBIRTH');
    expect(num(session3[0]!.payload.seq)).toBe(0);
    expect(num(session3[0]!.payload.metrics!.find((m) => m.name === 'bdSeq')!.value)).toBe(1);
    expect(session3.map((m) => num(m.payload.seq))).toEqual([0, 1, 2]);
    // A birth carries current values: motor-1's last alert, not nulls (Sparkplug: births hold the current state).
    const motorBirth = session3.find((m) => m.verb === 'DBIRTH' && m.device === 'motor-1')!;
    expect(motorBirth.payload.metrics!.find((m) => m.name === 'Alert/Id')!.value).toBe(live.id);
    const pumpBirth = session3.find((m) => m.verb === 'DBIRTH' && m.device === 'pump-2')!;
    expect(pumpBirth.payload.metrics!.find((m) => m.name === 'Alert/Id')!.value).toBe(late.id);

    // A lost board: DDEATH with the next seq.
    p.boardLost('pump-2');
    await waitFor('DDEATH', () => messages().some((m) => m.verb === 'DDEATH'));
    const ddeath = messages().find((m) => m.verb === 'DDEATH')!;
    expect(ddeath.device).toBe('pump-2');
    expect(num(ddeath.payload.seq)).toBe(3);

    // A clean close sends NDEATH itself; the next start continues the persisted bdSeq.
    await p.close({ drainMs: 0 });
    await waitFor('NDEATH on close', () => messages().filter((m) => m.verb === 'NDEATH').length === 2);
    expect(num(messages().filter((m) => m.verb === 'NDEATH')[1]!.payload.metrics![0]!.value)).toBe(1);
    const before3 = messages().length;
    await edgeNode(proxy.url, dir, sp);
    await waitFor('NBIRTH after restart', () =>
      messages()
        .slice(before3)
        .some((m) => m.verb === 'NBIRTH'),
    );
    const restarted = messages()
      .slice(before3)
      .find((m) => m.verb === 'NBIRTH')!;
    expect(num(restarted.payload.metrics!.find((m) => m.name === 'bdSeq')!.value)).toBe(2);
  });

  it('an intentional disconnect on MQTT 5 is DISCONNECT with reason 0x04, and the NDEATH is the broker sending the will', async () => {
    const proxy = await tcpProxy(broker.port);
    cleanups.push(() => proxy.close());
    const { messages } = await host('plant-d');
    const p = await edgeNode(proxy.url, tempDir(), {
      enabled: true,
      groupId: 'plant-d',
      edgeNodeId: 'edge-4',
    });
    await waitFor('NBIRTH', () => messages().some((m) => m.verb === 'NBIRTH'));
    expect(p.status().protocolVersion).toBe(5);
    await p.close({ drainMs: 0 });
    await waitFor('NDEATH', () => messages().some((m) => m.verb === 'NDEATH'));
    await new Promise((r) => setTimeout(r, 300));
    const deaths = messages().filter((m) => m.verb === 'NDEATH');
    expect(deaths).toHaveLength(1);
    expect(num(deaths[0]!.payload.metrics![0]!.value)).toBe(0);
    // The last packet each connection sent: the Sparkplug one DISCONNECT 0x04 (with will), the other a plain one.
    const lastPackets = proxy.sent.map((chunks) => {
      const all = Buffer.concat(chunks);
      let i = 0;
      let last = Buffer.alloc(0);
      while (i < all.length) {
        let len = 0;
        let mul = 1;
        let j = i + 1;
        for (;;) {
          const b = all[j++]!;
          len += (b & 127) * mul;
          mul *= 128;
          if (!(b & 128)) break;
        }
        last = all.subarray(i, j + len);
        i = j + len;
      }
      return last;
    });
    const disconnects = lastPackets.filter((pkt) => pkt[0] === 0xe0);
    expect(disconnects).toHaveLength(2);
    const reasons = disconnects.map((pkt) => (pkt[1] === 0 ? 0 : pkt[2]!)).sort();
    expect(reasons).toEqual([0x00, 0x04]);
  });

  it('bdSeq goes up per CONNECT the broker read, not per attempt: attempts to an unreachable broker keep it', async () => {
    const { messages } = await host('plant-e');
    const port = await freePort();
    const p = await edgeNode(`mqtt://127.0.0.1:${port}`, tempDir(), {
      enabled: true,
      groupId: 'plant-e',
      edgeNodeId: 'edge-5',
    });
    // Nothing listens yet: attempt after attempt is refused before any CONNECT goes out.
    await waitFor('a few refused attempts', () => p.status().connectAttempts >= 4, 10_000);
    const { createServer, connect } = await import('node:net');
    const server = createServer((c) => {
      const up = connect(broker.port, '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => {});
      up.on('error', () => {});
      c.on('close', () => up.destroy());
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    cleanups.push(async () => {
      await p.close({ drainMs: 0 });
      server.close();
    });
    await waitFor('NBIRTH', () => messages().some((m) => m.verb === 'NBIRTH'), 10_000);
    const nbirth = messages().find((m) => m.verb === 'NBIRTH')!;
    expect(num(nbirth.payload.metrics!.find((m) => m.name === 'bdSeq')!.value)).toBe(0);
  });

  it('a host re-learns a board, acknowledges its alarm and sets its threshold (by alias, as Ignition writes) in a DCMD; other metrics are not writable', async () => {
    const { messages } = await host('plant-f');
    const p = await edgeNode(broker.url, tempDir(), {
      enabled: true,
      groupId: 'plant-f',
      edgeNodeId: 'edge-6',
    });
    const commands: unknown[] = [];
    p.on('command', (c) => commands.push(c));
    p.boardOnline(board('motor-1'));
    await waitFor('DBIRTH', () => messages().some((m) => m.verb === 'DBIRTH'));
    const relearn = messages()
      .find((m) => m.verb === 'DBIRTH')!
      .payload.metrics!.find((m) => m.name === 'Device Control/Relearn')!;
    expect(relearn).toMatchObject({ type: 'Boolean', value: false });
    expect(relearn.alias).toBeUndefined();
    const cmd = await mqtt.connectAsync(broker.url, { username: broker.username, password: broker.password });
    cleanups.push(() => cmd.endAsync());
    const write = (metric: { name?: string; alias?: number }, type: string, value: unknown) =>
      cmd.publishAsync(
        'spBv1.0/plant-f/DCMD/edge-6/motor-1',
        Buffer.from(
          codec.encodePayload({ timestamp: Date.now(), metrics: [{ ...metric, type, value }] as never }),
        ),
        { qos: 1 },
      );
    const aliasOf = (name: string) =>
      num(
        messages()
          .find((m) => m.verb === 'DBIRTH')!
          .payload.metrics!.find((m) => m.name === name)!.alias,
      );
    await write({ name: 'Score' }, 'Double', 9.5);
    await write({ alias: aliasOf('Anomaly') }, 'Boolean', true);
    await write({ alias: aliasOf('Threshold') }, 'Double', 0.42);
    await write({ name: 'Device Control/Relearn' }, 'Boolean', true);
    await write({ name: 'Device Control/Acknowledge' }, 'Boolean', true);
    await write({ name: 'Threshold' }, 'Double', 0.5);
    await waitFor('the commands', () => commands.length > 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(commands).toEqual([
      { board: 'motor-1', command: 'threshold', payload: { value: 0.42 } },
      { board: 'motor-1', command: 'learn', payload: {} },
      { board: 'motor-1', command: 'ack', payload: {} },
      { board: 'motor-1', command: 'threshold', payload: { value: 0.5 } },
    ]);
  });

  it('moves to the next server on NCMD Node Control/Next Server: NDEATH on the first, births on the second', async () => {
    const second = await startMosquitto();
    cleanups.push(() => second.dispose());
    const onFirst = await host('plant-n');
    const sub2 = await subscriber(second.url, ['spBv1.0/plant-n/#'], {
      username: second.username,
      password: second.password,
    });
    cleanups.push(() => sub2.close());
    const onSecond = () => sub2.messages.map((m) => m.topic.split('/')[2]);
    const p = await edgeNode(broker.url, tempDir(), {
      enabled: true,
      groupId: 'plant-n',
      edgeNodeId: 'edge-n',
      servers: [broker.url, second.url],
    });
    p.boardOnline(board('motor-1'));
    await waitFor('births on the first', () => onFirst.messages().some((m) => m.verb === 'DBIRTH'));
    const nbirth = onFirst.messages().find((m) => m.verb === 'NBIRTH')!;
    expect(nbirth.payload.metrics!.find((m) => m.name === 'Node Control/Next Server')).toMatchObject({
      type: 'Boolean',
      value: false,
    });
    const cmd = await mqtt.connectAsync(broker.url, { username: broker.username, password: broker.password });
    cleanups.push(() => cmd.endAsync());
    await cmd.publishAsync(
      'spBv1.0/plant-n/NCMD/edge-n',
      Buffer.from(
        codec.encodePayload({
          timestamp: Date.now(),
          metrics: [{ name: 'Node Control/Next Server', type: 'Boolean', value: true }] as never,
        }),
      ),
      { qos: 1 },
    );
    await waitFor('NDEATH on the first', () => onFirst.messages().some((m) => m.verb === 'NDEATH'));
    await waitFor('births on the second', () => onSecond().includes('DBIRTH'), 15_000);
    expect(onSecond()[0]).toBe('NBIRTH');
    expect(onFirst.messages().filter((m) => m.verb === 'NDEATH')).toHaveLength(1);
    expect(p.status().sparkplug).toMatchObject({ connected: true, born: true });
  });

  it('takes a Sparkplug 2.2 host’s STATE/<host> ONLINE and OFFLINE as well', async () => {
    const { messages } = await host('plant-c');
    const state = await hostState('STATE/scada22');
    await state('OFFLINE');
    const p = await edgeNode(broker.url, tempDir(), {
      enabled: true,
      groupId: 'plant-c',
      edgeNodeId: 'edge-3',
      primaryHostId: 'scada22',
    });
    p.boardOnline(board('motor-1'));
    await waitFor('sparkplug session up', () => p.status().sparkplug?.connected === true);
    await new Promise((r) => setTimeout(r, 300));
    expect(messages()).toEqual([]);
    await state('ONLINE');
    await waitFor('births', () => messages().filter((m) => m.verb === 'DBIRTH').length === 1);
    expect(messages()[0]!.verb).toBe('NBIRTH');
    await state('OFFLINE');
    await waitFor('NDEATH', () => messages().some((m) => m.verb === 'NDEATH'));
  });

  it("marks a faulty sensor's metric Bad (Quality property, Ignition 8 code) while its sensor alarm lasts, and Good again after, in DDATA and in a rebirth", async () => {
    const { messages } = await host('plant-q');
    const p = await edgeNode(broker.url, tempDir(), {
      enabled: true,
      groupId: 'plant-q',
      edgeNodeId: 'edge-q',
    });
    p.boardOnline(board('motor-1'));
    await waitFor('DBIRTH', () => messages().some((m) => m.verb === 'DBIRTH'));
    const state = (temperature: number, faultySensors: string[]) =>
      p.publishState('motor-1', {
        anomaly: false,
        score: 0.1,
        threshold: 2.5,
        sensors: { vibration_rms: 0.5, temperature },
        faultySensors,
        ts: Date.now(),
      });
    const temperatureAlias = num(
      messages()
        .find((m) => m.verb === 'DBIRTH')!
        .payload.metrics!.find((m) => m.name === 'Sensors/temperature')!.alias,
    );
    const qualities = () =>
      messages()
        .filter((m) => m.verb === 'DDATA')
        .flatMap((m) => m.payload.metrics!.filter((x) => num(x.alias) === temperatureAlias))
        .map((x) => [
          x.value,
          (x.properties as Record<string, { value: unknown }> | undefined)?.Quality?.value ?? null,
        ]);
    state(40, []);
    state(40, ['temperature']); // stuck: the same value, now Bad
    state(40, ['temperature']); // still Bad: said again with each value sent
    state(41, ['temperature']);
    state(41, []); // recovered: Good, said once
    state(42, []);
    await waitFor('five temperature updates', () => qualities().length === 5);
    expect(qualities()).toEqual([
      [40, null],
      [40, -2147483136],
      [41, -2147483136],
      [41, 192],
      [42, null],
    ]);
    // A rebirth while the sensor is faulty carries its Bad quality in the DBIRTH.
    state(43, ['temperature']);
    const cmd = await mqtt.connectAsync(broker.url, { username: broker.username, password: broker.password });
    cleanups.push(() => cmd.endAsync());
    await cmd.publishAsync(
      'spBv1.0/plant-q/NCMD/edge-q',
      Buffer.from(
        codec.encodePayload({
          timestamp: Date.now(),
          metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] as never,
        }),
      ),
      { qos: 1 },
    );
    await waitFor('the second DBIRTH', () => messages().filter((m) => m.verb === 'DBIRTH').length === 2);
    const reborn = messages()
      .filter((m) => m.verb === 'DBIRTH')[1]!
      .payload.metrics!.find((m) => m.name === 'Sensors/temperature')!;
    expect(reborn.value).toBe(43);
    expect((reborn.properties as Record<string, { value: unknown }>).Quality!.value).toBe(-2147483136);
  });

  it('keeps alerts raised with no host online in the journal across a gateway restart, and sends each once, as historical, after the next birth', async () => {
    const { messages } = await host('plant-c');
    const publish = await hostState('spBv1.0/STATE/scada-c');
    const state = (online: boolean) => publish(JSON.stringify({ online, timestamp: Date.now() }));
    await state(false);
    const sparkplug = { enabled: true, groupId: 'plant-c', edgeNodeId: 'edge-3', primaryHostId: 'scada-c' };
    const dir = tempDir();
    const first = await edgeNode(broker.url, dir, sparkplug);
    first.boardOnline(board('motor-1'));
    await waitFor('sparkplug session up', () => first.status().sparkplug?.connected === true);
    const alerts = [0, 1, 2].map((i) => makeAlert(i, 'motor-1'));
    for (const a of alerts) await first.publishAlert(a);
    expect(first.sinks.find((s) => s.name === 'sparkplug')!.status().pending).toBe(3);
    // The gateway stops before the host ever came online: nothing was born, so nothing went out.
    await first.close({ drainMs: 0 });
    expect(messages().filter((m) => m.verb !== 'NDEATH')).toEqual([]);

    const second = await edgeNode(broker.url, dir, sparkplug);
    second.boardOnline(board('motor-1'));
    await state(true);
    const ids = alerts.map((a) => a.id);
    const sentIds = () =>
      messages()
        .filter((m) => m.verb === 'DDATA')
        .flatMap((m) =>
          m.payload.metrics!.filter((x) => typeof x.value === 'string' && ids.includes(x.value)),
        );
    await waitFor('the three alerts', () => sentIds().length === 3);
    const ddata = messages().filter(
      (m) => m.verb === 'DDATA' && m.payload.metrics!.some((x) => ids.includes(x.value as string)),
    );
    expect(ddata.every((m) => m.payload.metrics!.every((x) => x.isHistorical === true))).toBe(true);
    expect(sentIds().map((x) => x.value)).toEqual(ids);
    await waitFor(
      'acknowledged',
      () => second.sinks.find((s) => s.name === 'sparkplug')!.status().pending === 0,
    );
    // Acknowledged under "sparkplug": none goes twice.
    await new Promise((r) => setTimeout(r, 200));
    expect(sentIds()).toHaveLength(3);
  });

  it('waits for the primary host STATE before births, and dies and reconnects when the host goes offline', async () => {
    const { messages } = await host('plant-b');
    const publish = await hostState('spBv1.0/STATE/scada');
    const state = (online: boolean, timestamp: number) => publish(JSON.stringify({ online, timestamp }));
    const t0 = Date.now();
    await state(false, t0);

    const p = await edgeNode(broker.url, tempDir(), {
      enabled: true,
      groupId: 'plant-b',
      edgeNodeId: 'edge-2',
      primaryHostId: 'scada',
    });
    p.boardOnline(board('motor-1'));
    await waitFor('sparkplug session up', () => p.status().sparkplug?.connected === true);
    await new Promise((r) => setTimeout(r, 300));
    expect(messages()).toEqual([]);

    await state(true, t0 + 1);
    await waitFor('births', () => messages().filter((m) => m.verb === 'DBIRTH').length === 1);
    expect(messages()[0]!.verb).toBe('NBIRTH');
    expect(num(messages()[0]!.payload.metrics!.find((m) => m.name === 'bdSeq')!.value)).toBe(0);

    // An older STATE delivered late is ignored; a newer offline one means NDEATH and a fresh session.
    await state(false, t0);
    await new Promise((r) => setTimeout(r, 200));
    expect(messages().some((m) => m.verb === 'NDEATH')).toBe(false);
    await state(false, t0 + 2);
    await waitFor('NDEATH', () => messages().some((m) => m.verb === 'NDEATH'));
    // One NDEATH for the one session that ended (the broker's will and our own had both come).
    await new Promise((r) => setTimeout(r, 400));
    expect(messages().filter((m) => m.verb === 'NDEATH')).toHaveLength(1);
    const n = messages().length;
    await state(true, t0 + 3);
    await waitFor('rebirth with the next bdSeq', () =>
      messages()
        .slice(n)
        .some((m) => m.verb === 'NBIRTH'),
    );
    const nb = messages()
      .slice(n)
      .find((m) => m.verb === 'NBIRTH')!;
    expect(num(nb.payload.metrics!.find((m) => m.name === 'bdSeq')!.value)).toBe(1);
  });
});
