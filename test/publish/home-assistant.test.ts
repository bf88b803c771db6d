import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { boardDeviceId, createPublisher, gatewayDeviceId, type Publisher } from '../../src/publish/index.js';
import { makeAlert, subscriber, tcpProxy, waitFor } from './fixtures.js';
import {
  entityState,
  type HaEntity,
  lastEvent,
  numberCommand,
  parseDeviceDiscovery,
  renderTemplate,
} from './ha-consumer.js';
import { haveMosquitto, type Mosquitto, startMosquitto } from './mosquitto.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const board = {
  id: 'motor-1',
  name: 'Motor 1',
  model: 'arduino-nano-33-ble',
  sensors: [
    { name: 'vibration_rms', unit: 'g', label: 'Vibration RMS' },
    { name: "bearing temp's", unit: '°C', deviceClass: 'temperature' },
  ],
};

describe('the consumer itself (renders templates as Jinja would)', () => {
  it('renders the two template shapes and refuses others', () => {
    expect(renderTemplate("{{ value_json['a']['b c'] }}", '{"a":{"b c":1.5}}')).toBe('1.5');
    expect(renderTemplate("{{ 'ON' if value_json['x'] else 'OFF' }}", '{"x":true}')).toBe('ON');
    expect(renderTemplate("{{ 'ON' if value_json['x'] else 'OFF' }}", '{"x":false}')).toBe('OFF');
    expect(renderTemplate("{{ value_json['k\\'s'] }}", `{"k's":2}`)).toBe('2');
    expect(() => renderTemplate('{{ value_json.a | float }}', '{"a":1}')).toThrow(/not understood/);
  });
});

describe.skipIf(!haveMosquitto())(
  'Home Assistant discovery, read by a consumer that builds entities as HA does',
  () => {
    let broker: Mosquitto;
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker?.dispose();
    });

    async function setup(prefix?: string, gatewayId = 'gw-ha') {
      const p = prefix ?? 'homeassistant';
      const creds = { username: broker.username, password: broker.password };
      const sub = await subscriber(broker.url, [`${p}/#`, 'tinygate/#'], creds);
      cleanups.push(() => sub.close());
      const dir = mkdtempSync(join(tmpdir(), 'tg-ha-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const proxy = await tcpProxy(broker.port);
      cleanups.push(() => proxy.close());
      const publisher: Publisher = await createPublisher({
        gatewayId,
        config: {
          url: proxy.url,
          ...creds,
          journal: { path: dir },
          reconnect: { minMs: 50, maxMs: 300 },
          ...(prefix ? { homeAssistant: { enabled: true, prefix } } : {}),
        },
      });
      cleanups.push(() => publisher.close({ drainMs: 0 }));
      // What HA keeps: the last payload per topic (discovery configs and states).
      const latest = () => {
        const m = new Map<string, string>();
        for (const msg of sub.messages) m.set(msg.topic, msg.payload.toString());
        return m;
      };
      const entities = (): HaEntity[] =>
        [...latest()]
          .filter(([t]) => t.startsWith(`${p}/device/`))
          .flatMap(([t, json]) => parseDeviceDiscovery(t, json, p));
      return { sub, publisher, latest, entities, prefix: p, proxy };
    }

    it('announces a gateway device and a board device with an anomaly binary_sensor, a score sensor and one sensor per quantity', async () => {
      const { publisher, latest, entities, proxy } = await setup();
      publisher.setConfigurationUrl('http://gateway.local:8080/');
      publisher.boardOnline({ ...board, firmware: 'tinygate-bridge 0.1' });
      publisher.publishState('motor-1', {
        anomaly: true,
        score: 3.25,
        threshold: 2.5,
        sensors: { vibration_rms: 0.82, "bearing temp's": 41.5 },
        ts: Date.now(),
      });
      await waitFor('connected', () => publisher.status().connected);
      publisher.publishDiagnostics({ uptimeS: 42 });
      await waitFor('entities with states', () => {
        try {
          return (
            entities().length === 13 &&
            entities().every(
              (e) =>
                e.platform === 'event' ||
                e.platform === 'button' ||
                e.name === 'Alarm acknowledged' ||
                e.name === 'Last broker error' ||
                entityState(e, latest()) !== 'unknown',
            )
          );
        } catch {
          return false;
        }
      });
      const all = entities();
      const byName = new Map(all.map((e) => [`${e.device.name}/${e.name}`, e]));
      const gateway = byName.get('tinygate gw-ha/Connected')!;
      expect(gateway).toMatchObject({ platform: 'binary_sensor', deviceClass: 'connectivity' });
      expect(entityState(gateway, latest())).toBe('on');
      // Gateway diagnostics: uptime, alerts the journal still holds for the broker, the last broker error (none).
      expect(entityState(byName.get('tinygate gw-ha/Uptime')!, latest())).toBe('42');
      expect(byName.get('tinygate gw-ha/Uptime')).toMatchObject({
        deviceClass: 'duration',
        unit: 's',
        entityCategory: 'diagnostic',
      });
      expect(entityState(byName.get('tinygate gw-ha/Alerts not yet delivered')!, latest())).toBe('0');
      expect(entityState(byName.get('tinygate gw-ha/Last broker error')!, latest())).toBe('unknown');

      // Devices link to the dashboard; the board says which firmware it runs; readings expire when it goes quiet.
      expect(gateway.device).toMatchObject({
        configuration_url: 'http://gateway.local:8080/',
        sw_version: expect.any(String),
      });
      expect(byName.get('Motor 1/Anomaly score')!.device).toMatchObject({
        sw_version: 'tinygate-bridge 0.1',
        configuration_url: 'http://gateway.local:8080/',
      });
      expect(byName.get('Motor 1/Anomaly score')!.expireAfter).toBe(60);
      // No machine alarm yet: nothing to acknowledge; the Acknowledge alarm button sends cmd/ack.
      expect(entityState(byName.get('Motor 1/Alarm acknowledged')!, latest())).toBe('unknown');
      expect(byName.get('Motor 1/Acknowledge alarm')).toMatchObject({
        platform: 'button',
        commandTopic: 'tinygate/gw-ha/motor-1/cmd/ack',
      });
      expect(byName.get('Motor 1/Restart connection')).toMatchObject({
        platform: 'button',
        deviceClass: 'restart',
        commandTopic: 'tinygate/gw-ha/motor-1/cmd/restart',
      });
      const anomaly = byName.get('Motor 1/Anomaly')!;
      expect(anomaly).toMatchObject({ platform: 'binary_sensor', deviceClass: 'problem' });
      expect(entityState(anomaly, latest())).toBe('on');
      const score = byName.get('Motor 1/Anomaly score')!;
      expect(score).toMatchObject({ platform: 'sensor', stateClass: 'measurement' });
      expect(entityState(score, latest())).toBe('3.25');
      const vib = byName.get('Motor 1/Vibration RMS')!;
      expect(vib).toMatchObject({ platform: 'sensor', unit: 'g', stateClass: 'measurement' });
      expect(entityState(vib, latest())).toBe('0.82');
      const temp = byName.get("Motor 1/bearing temp's")!;
      expect(temp).toMatchObject({ unit: '°C', deviceClass: 'temperature' });
      expect(entityState(temp, latest())).toBe('41.5');
      // The threshold is a number a user can set: HA publishes the `threshold` board command.
      const threshold = byName.get('Motor 1/Anomaly threshold')!;
      expect(threshold).toMatchObject({
        platform: 'number',
        commandTopic: 'tinygate/gw-ha/motor-1/cmd/threshold',
      });
      expect(entityState(threshold, latest())).toBe('2.5');
      expect(JSON.parse(numberCommand(threshold, 0.042))).toEqual({ value: 0.042, id: 'home-assistant' });
      expect(JSON.parse(numberCommand(threshold, 3.75))).toEqual({ value: 3.75, id: 'home-assistant' });

      // Alerts are HA events, sensor faults included: an automation sees the kind, score, threshold and message.
      const alertEntity = byName.get('Motor 1/Alert')!;
      expect(alertEntity).toMatchObject({
        platform: 'event',
        stateTopic: 'tinygate/gw-ha/motor-1/alert',
        eventTypes: ['machine', 'sensor', 'data_quality', 'drift'],
      });
      const sensorFault = {
        ...makeAlert(1, 'motor-1'),
        kind: 'sensor' as const,
        message: 'vib.x stuck on motor-1',
      };
      await publisher.publishAlert(sensorFault);
      await waitFor('the sensor event', () => entityState(alertEntity, latest()) === 'sensor');
      expect(lastEvent(alertEntity, latest())).toMatchObject({
        score: sensorFault.score,
        threshold: sensorFault.threshold,
        message: 'vib.x stuck on motor-1',
      });
      const quality = { ...makeAlert(2, 'motor-1'), kind: 'data-quality' as const };
      await publisher.publishAlert(quality);
      await waitFor('the data-quality event', () => entityState(alertEntity, latest()) === 'data_quality');

      // QoS 1 on every component, not only at device level (older HA ignores the device-level one).
      for (const [t, json] of latest()) {
        if (!t.startsWith('homeassistant/device/')) continue;
        const cmps = (JSON.parse(json) as { cmps: Record<string, { qos?: number }> }).cmps;
        for (const [k, c] of Object.entries(cmps)) expect(c.qos, `${t} ${k}`).toBe(1);
      }
      // One HA device per board, hanging off the gateway device; unique ids unique.
      expect(anomaly.device.via_device).toBe(gateway.device.identifiers[0]);
      expect(anomaly.device).toMatchObject({ manufacturer: 'tinygate', model: 'arduino-nano-33-ble' });
      expect(new Set(all.map((e) => e.uniqueId)).size).toBe(all.length);
      expect(anomaly.origin.name).toBe('tinygate');
      // Discovery is retained (HA may start later) and published at QoS 1.
      const retained = await retainedTopics(broker, 'homeassistant/device/+/config');
      expect(retained.sort()).toEqual([
        'homeassistant/device/tinygate_gw-ha/config',
        'homeassistant/device/tinygate_gw-ha_motor-1/config',
      ]);

      publisher.publishState('motor-1', {
        anomaly: false,
        score: 0.4,
        threshold: 2.5,
        sensors: { vibration_rms: 0.1 },
        ts: Date.now(),
      });
      await waitFor('anomaly off', () => entityState(anomaly, latest()) === 'off');

      // A lost board shows as unavailable; so does everything when the gateway dies.
      publisher.boardLost('motor-1');
      await waitFor('board unavailable', () => entityState(anomaly, latest()) === 'unavailable');
      expect(entityState(gateway, latest())).toBe('on');
      publisher.boardOnline(board);
      await waitFor('board available', () => entityState(anomaly, latest()) === 'off');
      proxy.pause();
      proxy.cut();
      await waitFor('gateway offline (will)', () => latest().get('tinygate/gw-ha/status') === 'offline');
      expect(entityState(anomaly, latest())).toBe('unavailable');
      expect(entityState(gateway, latest())).toBe('off');
    });

    it('a learning board shows its learning state and progress, and its Re-learn button sends the learn command', async () => {
      const { publisher, latest, entities } = await setup();
      const commands: unknown[] = [];
      publisher.on('command', (c) => commands.push(c));
      publisher.boardOnline({ ...board, learns: true, diagnostics: true, infersOnBoard: true });
      publisher.publishState('motor-1', {
        diagnostics: { dataQualityWindows: 7, inferenceMicros: 412 },
        anomaly: false,
        score: null,
        threshold: 2.5,
        sensors: { vibration_rms: 0.82, "bearing temp's": 41.5 },
        ts: Date.now(),
        learning: { state: 'learning', progressPct: 42, version: null },
      });
      await waitFor('learning entities', () => {
        try {
          return entities().some((e) => e.name === 'Learning' && entityState(e, latest()) === 'learning');
        } catch {
          return false;
        }
      });
      const byName = new Map(entities().map((e) => [e.name, e]));
      expect(entityState(byName.get('Learning progress')!, latest())).toBe('42');
      // Diagnostics: windows lost to data quality, the board's inference time.
      expect(entityState(byName.get('Windows lost to data quality')!, latest())).toBe('7');
      expect(entityState(byName.get('Inference time on the board')!, latest())).toBe('412');
      expect(byName.get('Inference time on the board')).toMatchObject({
        unit: 'µs',
        entityCategory: 'diagnostic',
      });
      // No window scored yet: the score is unknown, not 0.
      expect(entityState(byName.get('Anomaly score')!, latest())).toBe('unknown');
      expect(byName.get('Learning progress')).toMatchObject({ unit: '%', entityCategory: 'diagnostic' });
      const button = byName.get('Re-learn normal')!;
      expect(button).toMatchObject({ platform: 'button', commandTopic: 'tinygate/gw-ha/motor-1/cmd/learn' });
      // Press it as HA does: its payload on its command topic.
      const ha = await mqtt.connectAsync(broker.url, {
        username: broker.username,
        password: broker.password,
      });
      cleanups.push(() => ha.endAsync());
      await ha.publishAsync(button.commandTopic!, button.payloadPress!, { qos: 1 });
      await waitFor('the learn command', () => commands.length > 0);
      expect(commands[0]).toEqual({
        board: 'motor-1',
        command: 'learn',
        payload: { force: false, id: 'home-assistant' },
      });
    });

    it('announces units as HA spells them and never a device class with a unit HA refuses for it', async () => {
      const { publisher, latest, entities } = await setup();
      publisher.boardOnline({
        id: 'room-1',
        name: 'Room 1',
        sensors: [
          { name: 'rh', unit: '%RH' },
          { name: 'odd', unit: 'g', deviceClass: 'temperature' },
          { name: 'vib.x', unit: 'g', rms: true },
        ],
      });
      publisher.publishState('room-1', {
        anomaly: false,
        score: null,
        threshold: 1,
        sensors: { rh: 40, odd: 0.1, 'vib.x': 0.98 },
        rms: { 'vib.x': 0.0425 },
        ts: Date.now(),
      });
      await waitFor('room entities', () => {
        try {
          return entities().some((e) => e.name === 'rh');
        } catch {
          return false;
        }
      });
      const byName = new Map(entities().map((e) => [e.name, e]));
      expect(byName.get('rh')).toMatchObject({ unit: '%', deviceClass: 'humidity' });
      expect(byName.get('odd')).toMatchObject({ unit: 'g' });
      expect(byName.get('odd')!.deviceClass).toBeUndefined();
      // A moving channel gets its RMS as its own entity, shown to 3 decimals.
      await waitFor('the RMS state', () => entityState(byName.get('vib.x RMS')!, latest()) === '0.0425');
      expect(byName.get('vib.x RMS')).toMatchObject({ unit: 'g', stateClass: 'measurement' });
    });

    it('removes from Home Assistant a board this gateway announced before but no longer runs, and nothing else', async () => {
      const first = await setup('ha-retire');
      first.publisher.boardOnline({ ...board, id: 'keep' });
      first.publisher.boardOnline({ ...board, id: 'gone' });
      await waitFor('both announced', () =>
        ['keep', 'gone'].every((b) => first.latest().has(`ha-retire/device/tinygate_gw-ha_${b}/config`)),
      );
      // Another gateway's device under the same prefix must stay.
      const other = await mqtt.connectAsync(broker.url, {
        username: broker.username,
        password: broker.password,
      });
      cleanups.push(() => other.endAsync());
      const foreign = JSON.stringify({
        dev: { ids: ['tinygate_other_gone'], via_device: 'tinygate_other' },
        o: { name: 'x' },
        cmps: {},
      });
      await other.publishAsync('ha-retire/device/tinygate_other_gone/config', foreign, {
        qos: 1,
        retain: true,
      });
      await first.publisher.close({ drainMs: 0 });

      // Restarted with only `keep` configured.
      const second = await setup('ha-retire');
      second.publisher.setConfiguredBoards(['keep']);
      await waitFor('the retired board emptied', () =>
        second.sub.messages.some(
          (m) => m.topic === 'ha-retire/device/tinygate_gw-ha_gone/config' && m.payload.length === 0,
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      const retained = await retainedTopics(broker, 'ha-retire/device/+/config');
      expect(retained.sort()).toEqual([
        'ha-retire/device/tinygate_gw-ha/config',
        'ha-retire/device/tinygate_gw-ha_keep/config',
        'ha-retire/device/tinygate_other_gone/config',
      ]);
    });

    it('gives gateway `line_x` and board `x` of gateway `line` different device ids, and moves devices off the ids older versions gave them before announcing', async () => {
      const other = await mqtt.connectAsync(broker.url, {
        username: broker.username,
        password: broker.password,
      });
      cleanups.push(() => other.endAsync());
      const retain = (topic: string, doc: unknown) =>
        other.publishAsync(topic, JSON.stringify(doc), { qos: 1, retain: true });
      // What older versions left retained for gateway `line_x` with board `m.1` (ids joined with `_`)…
      const legacyGateway = {
        dev: { ids: ['tinygate_line_x'] },
        cmps: { connectivity: { p: 'binary_sensor', stat_t: 'tinygate/line_x/status' } },
      };
      const legacyBoard = {
        dev: { ids: ['tinygate_line_x_m_1'], via_device: 'tinygate_line_x' },
        avty: [{ t: 'tinygate/line_x/status' }, { t: 'tinygate/line_x/m.1/status' }],
        cmps: {},
      };
      // …and gateway `line`'s board `x`, which had the very same id as gateway `line_x`: it must stay.
      const neighbour = {
        dev: { ids: ['tinygate_line_x'], via_device: 'tinygate_line' },
        avty: [{ t: 'tinygate/line/status' }, { t: 'tinygate/line/x/status' }],
        cmps: {},
      };
      await retain('ha-ids/device/tinygate_line_x/config', legacyGateway);
      await retain('ha-ids/device/tinygate_line_x_m_1/config', legacyBoard);
      await retain('ha-ids/device/neighbour/config', neighbour);

      const { publisher, sub } = await setup('ha-ids', 'line_x');
      publisher.setConfiguredBoards(['m.1']);
      publisher.boardConfigured({ ...board, id: 'm.1' });
      await waitFor('the legacy devices emptied and the new ones announced', () => {
        const topics = sub.messages.filter((m) => m.topic.startsWith('ha-ids/device/') && !m.retain);
        return (
          topics.filter((m) => m.payload.length > 0).length >= 2 && topics.some((m) => m.payload.length === 0)
        );
      });
      await new Promise((r) => setTimeout(r, 300));
      const live = sub.messages.filter((m) => m.topic.startsWith('ha-ids/device/') && !m.retain);
      const emptied = live.filter((m) => m.payload.length === 0).map((m) => m.topic);
      const announced = live.filter((m) => m.payload.length > 0);
      expect(emptied.sort()).toEqual([
        'ha-ids/device/tinygate_line_x/config',
        'ha-ids/device/tinygate_line_x_m_1/config',
      ]);
      // The old devices go before the new ones come, so HA can hand the new entities the old entity ids.
      expect(live.findIndex((m) => m.payload.length > 0)).toBeGreaterThan(
        Math.max(...emptied.map((t) => live.findIndex((m) => m.topic === t))),
      );
      const ids = announced.map((m) => JSON.parse(m.payload.toString()).dev.ids[0] as string);
      expect(new Set(ids).size).toBe(2);
      expect(ids).not.toContain('tinygate_line_x');
      expect(ids.every((id) => /^tinygate_line_x_[0-9a-f]{8}/.test(id))).toBe(true);
      // Gateway `line` with board `x` keeps its id, different from gateway `line_x`'s.
      expect(boardDeviceId('line', 'x')).toBe('tinygate_line_x');
      expect(gatewayDeviceId('line_x')).not.toBe(boardDeviceId('line', 'x'));
      expect(boardDeviceId('line', 'x.y')).not.toBe(boardDeviceId('line', 'x_y'));
      // Ids of letters, digits and '-' are what they always were.
      expect(boardDeviceId('gw-1', 'motor-1')).toBe('tinygate_gw-1_motor-1');
      const retained = await retainedTopics(broker, 'ha-ids/device/+/config');
      expect(retained).toContain('ha-ids/device/neighbour/config');
      expect(retained).not.toContain('ha-ids/device/tinygate_line_x_m_1/config');
    });

    it('announces again when Home Assistant says online on its status topic (custom prefix, default status topic)', async () => {
      const { sub, publisher, prefix } = await setup('ha-test');
      publisher.boardOnline(board);
      const configs = () => sub.messages.filter((m) => m.topic.startsWith(`${prefix}/device/`)).length;
      await waitFor('first announcement', () => configs() === 2);
      const client = mqtt.connect(broker.url, { username: broker.username, password: broker.password });
      cleanups.push(() => new Promise<void>((r) => client.end(true, () => r())));
      await new Promise((r) => client.once('connect', r));
      client.publish('homeassistant/status', 'offline');
      await new Promise((r) => setTimeout(r, 200));
      expect(configs()).toBe(2);
      client.publish('homeassistant/status', 'online');
      await waitFor('second announcement', () => configs() === 4);
    });
  },
);

/** Topics with a retained message, as a client subscribing now sees them. */
async function retainedTopics(b: Mosquitto, filter: string): Promise<string[]> {
  const sub = await subscriber(b.url, [filter], { username: b.username, password: b.password });
  await new Promise((r) => setTimeout(r, 300));
  await sub.close();
  // Delivered QoS is min(published, subscribed = 1): 1 means it was published at QoS 1 or more.
  return sub.messages.filter((m) => m.retain && m.qos === 1).map((m) => m.topic);
}
