// What the edge node sends, read off a real mosquitto and decoded with a decoder written from the
// specification's field numbers (sparkplug-wire.ts), not the library that encoded it: sequence numbers,
// datatypes, aliases, nulls and properties as the specification has them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sparkplugPayload from 'sparkplug-payload';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/publish/index.js';
import { subscriber, waitFor } from './fixtures.js';
import { haveMosquitto, type Mosquitto, startMosquitto } from './mosquitto.js';
import { DATATYPE, decodeWire, type WirePayload } from './sparkplug-wire.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe.skipIf(!haveMosquitto())('Sparkplug B on the wire, decoded independently', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => broker?.dispose());

  it('births, data and death carry the datatypes, aliases, nulls and properties the specification asks for', async () => {
    const creds = { username: broker.username, password: broker.password };
    const sub = await subscriber(broker.url, ['spBv1.0/wire/#'], creds);
    cleanups.push(() => sub.close());
    const dir = mkdtempSync(join(tmpdir(), 'tg-spwire-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const p = await createPublisher({
      gatewayId: 'gw-wire',
      config: {
        url: broker.url,
        ...creds,
        journal: { path: dir },
        homeAssistant: { enabled: false },
        sparkplug: { enabled: true, groupId: 'wire', edgeNodeId: 'edge' },
      },
    });
    const got = (verb: string): WirePayload[] =>
      sub.messages.filter((m) => m.topic.split('/')[2] === verb).map((m) => decodeWire(m.payload));
    p.boardOnline({ id: 'motor-1', sensors: [{ name: 'vib.x', unit: 'g' }] });
    p.publishState('motor-1', {
      anomaly: false,
      score: null,
      threshold: 2.5,
      sensors: { 'vib.x': 0.98 },
      ts: Date.now(),
    });
    await waitFor('DBIRTH', () => got('DBIRTH').length === 1);

    const [nbirth] = got('NBIRTH');
    expect(nbirth!.seq).toBe(0);
    const bdSeq = nbirth!.metrics.find((m) => m.name === 'bdSeq')!;
    expect(bdSeq).toMatchObject({ datatype: DATATYPE.Int64, value: 0 });
    expect(bdSeq.alias).toBeUndefined();
    expect(nbirth!.metrics.find((m) => m.name === 'Node Control/Rebirth')).toMatchObject({
      datatype: DATATYPE.Boolean,
      value: false,
    });

    const dbirth = got('DBIRTH')[0]!;
    expect(dbirth.seq).toBe(1);
    const byName = new Map(dbirth.metrics.map((m) => [m.name, m]));
    for (const m of dbirth.metrics) expect(m.timestamp).toBeGreaterThan(0);
    expect(byName.get('Score')).toMatchObject({ datatype: DATATYPE.Double, isNull: true });
    expect(byName.get('Threshold')).toMatchObject({ datatype: DATATYPE.Double, value: 2.5 });
    expect(byName.get('Sensors/vib_x')).toMatchObject({
      datatype: DATATYPE.Double,
      value: 0.98,
      properties: { engUnit: { type: DATATYPE.String, value: 'g' } },
    });
    expect(byName.get('Alert/Id')).toMatchObject({ datatype: DATATYPE.String, isNull: true });
    expect(byName.get('Device Control/Relearn')).toMatchObject({ datatype: DATATYPE.Boolean, value: false });
    expect(byName.get('Device Control/Acknowledge')).toMatchObject({
      datatype: DATATYPE.Boolean,
      value: false,
    });
    expect(byName.get('Alert/Acknowledged')).toMatchObject({ datatype: DATATYPE.Boolean, isNull: true });

    // DDATA by alias only, the next seq.
    p.publishState('motor-1', {
      anomaly: true,
      score: 3.5,
      threshold: 2.5,
      sensors: { 'vib.x': 0.97 },
      ts: Date.now(),
    });
    await waitFor('DDATA', () => got('DDATA').length === 1);
    const ddata = got('DDATA')[0]!;
    expect(ddata.seq).toBe(2);
    expect(ddata.metrics.length).toBeGreaterThan(0);
    for (const m of ddata.metrics) {
      expect(m.name).toBeUndefined();
      expect(m.alias).toBeGreaterThan(0);
    }
    const score = ddata.metrics.find((m) => m.alias === byName.get('Score')!.alias)!;
    expect(score.value).toBe(3.5);

    // A sensor in a sensor alarm: its metric carries Quality (Int32, Ignition 8's Bad 0x80000200), which the
    // specification stores in the uint32 int_value as its two's complement bit pattern.
    p.publishState('motor-1', {
      anomaly: true,
      score: 3.5,
      threshold: 2.5,
      sensors: { 'vib.x': 0.96 },
      faultySensors: ['vib.x'],
      ts: Date.now(),
    });
    await waitFor('the second DDATA', () => got('DDATA').length === 2);
    const vib = got('DDATA')[1]!.metrics.find((m) => m.alias === byName.get('Sensors/vib_x')!.alias)!;
    expect(vib).toMatchObject({
      value: 0.96,
      properties: { Quality: { type: DATATYPE.Int32, value: 0x80000200 } },
    });

    // The gateway's own figures: node metrics, born in NBIRTH, then NDATA by alias when they change.
    const uptime = nbirth!.metrics.find((m) => m.name === 'Node Info/Uptime s')!;
    expect(uptime).toMatchObject({ datatype: DATATYPE.Int64, value: 0 });
    expect(nbirth!.metrics.find((m) => m.name === 'Node Info/Alerts not yet delivered')).toMatchObject({
      datatype: DATATYPE.Int64,
      value: 0,
    });
    p.publishDiagnostics({ uptimeS: 42 });
    await waitFor('NDATA', () => got('NDATA').length === 1);
    const ndata = got('NDATA')[0]!;
    expect(ndata.seq).toBe(4);
    expect(ndata.metrics).toEqual([
      expect.objectContaining({ alias: uptime.alias, datatype: DATATYPE.Int64, value: 42 }),
    ]);
    expect(ndata.metrics[0]!.name).toBeUndefined();

    // NDEATH: the bdSeq of the session, no seq.
    await p.close({ drainMs: 0 });
    await waitFor('NDEATH', () => got('NDEATH').length === 1);
    const ndeath = got('NDEATH')[0]!;
    expect(ndeath.seq).toBeUndefined();
    expect(ndeath.metrics).toEqual([
      expect.objectContaining({ name: 'bdSeq', datatype: DATATYPE.Int64, value: 0 }),
    ]);
  });

  it('with dataDatatypes: false, DDATA and NDATA leave datatypes out (the spec prefers it) and keep every value; births keep them', async () => {
    const creds = { username: broker.username, password: broker.password };
    const sub = await subscriber(broker.url, ['spBv1.0/wire-strict/#'], creds);
    cleanups.push(() => sub.close());
    const dir = mkdtempSync(join(tmpdir(), 'tg-spwire-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const p = await createPublisher({
      gatewayId: 'gw-wire-strict',
      config: {
        url: broker.url,
        ...creds,
        journal: { path: dir },
        homeAssistant: { enabled: false },
        sparkplug: { enabled: true, groupId: 'wire-strict', edgeNodeId: 'edge', dataDatatypes: false },
      },
    });
    cleanups.push(() => p.close({ drainMs: 0 }));
    const raw = (verb: string) =>
      sub.messages.filter((m) => m.topic.split('/')[2] === verb).map((m) => m.payload);
    const got = (verb: string): WirePayload[] => raw(verb).map((b) => decodeWire(b));
    p.boardOnline({ id: 'motor-1', sensors: [{ name: 'vib.x', unit: 'g' }] });
    await waitFor('DBIRTH', () => got('DBIRTH').length === 1);
    const byName = new Map(got('DBIRTH')[0]!.metrics.map((m) => [m.name, m]));
    expect(byName.get('Score')).toMatchObject({ datatype: DATATYPE.Double });
    p.publishState('motor-1', {
      anomaly: true,
      score: 3.5,
      threshold: 2.5,
      sensors: { 'vib.x': 0.97 },
      faultySensors: ['vib.x'],
      ts: Date.now(),
    });
    p.publishDiagnostics({ uptimeS: 7 });
    await waitFor('DDATA and NDATA', () => got('DDATA').length === 1 && got('NDATA').length === 1);
    const ddata = got('DDATA')[0]!;
    for (const m of [...ddata.metrics, ...got('NDATA')[0]!.metrics]) expect(m.datatype).toBeUndefined();
    const value = (name: string) => ddata.metrics.find((m) => m.alias === byName.get(name)!.alias)!.value;
    expect(value('Score')).toBe(3.5);
    expect(value('Anomaly')).toBe(true);
    expect(value('Sensors/vib_x')).toBe(0.97);
    expect(ddata.metrics.find((m) => m.alias === byName.get('Sensors/vib_x')!.alias)!.properties).toEqual({
      Quality: { type: DATATYPE.Int32, value: 0x80000200 },
    });
    expect(got('NDATA')[0]!.metrics[0]!.value).toBe(7);
    // Why it is not the default: the sparkplug-payload decoder (under Node-RED's Sparkplug nodes) reads a
    // metric without its datatype as null.
    const library = sparkplugPayload.get('spBv1.0')!.decodePayload(raw('DDATA')[0]!);
    expect(library.metrics!.every((m) => m.value === null)).toBe(true);
  });
});
