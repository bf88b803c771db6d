// A gateway killed while a board streamed leaves that board's retained status `online`. Restarted with the
// board unplugged, the gateway must say `offline` for it at once (until it streams), and again on stop:
// Home Assistant and Sparkplug hosts read the retained status.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { waitFor } from '../helpers/wait.js';
import { haveMosquitto, type Mosquitto, startMosquitto } from '../publish/mosquitto.js';

const SENSORS = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];

describe.skipIf(!haveMosquitto())('boards are offline until they stream', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => broker?.dispose());

  it('a board left online by a crashed gateway is published offline at start and on stop', async () => {
    const opts = { username: broker.username, password: broker.password };
    const client = await mqtt.connectAsync(broker.url, opts);
    const topic = 'tinygate/plant/press/status';
    // What a gateway killed with SIGKILL leaves behind.
    await client.publishAsync(topic, 'online', { qos: 1, retain: true });
    const seen: string[] = [];
    client.on('message', (t, p) => {
      if (t === topic) seen.push(p.toString());
    });
    await client.subscribeAsync(topic, { qos: 1 });
    await waitFor('the stale retained online', () => seen.includes('online'));
    const dir = mkdtempSync(join(tmpdir(), 'tg-offline-'));
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir: dir },
      boards: [{ id: 'press', profile: 'arduino-uno', port: join(dir, 'no-such-port'), sensors: SENSORS }],
      mqtt: { url: broker.url, ...opts },
      dashboard: { enabled: false },
    });
    const gateway = await Gateway.start({ config, baseDir: dir });
    try {
      await waitFor('offline for the unplugged board', () => seen.at(-1) === 'offline', 10_000);
      expect(gateway.status().boards[0]!.state).not.toBe('streaming');
    } finally {
      await gateway.stop();
    }
    // A fresh subscriber sees the retained status: offline.
    const late = await mqtt.connectAsync(broker.url, opts);
    const retained: string[] = [];
    late.on('message', (t, p) => retained.push(p.toString()));
    await late.subscribeAsync(topic, { qos: 1 });
    await waitFor('the retained status', () => retained.length > 0);
    expect(retained).toEqual(['offline']);
    await late.endAsync();
    await client.endAsync();
  }, 30_000);
});
