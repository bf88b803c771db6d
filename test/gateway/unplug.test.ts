// The gateway with one board unplugged: that board is reported lost (log, MQTT, health), the other
// keeps streaming, and the lost one comes back on its own when it is plugged in again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { resolveScenario, VirtualFirmataBoard } from '../../src/sim/index.js';
import { waitFor } from '../helpers/wait.js';

const sensors = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('gateway with a board unplugged', () => {
  it('reports it lost, keeps the other going, and recovers when it returns', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-'));
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir },
      boards: ['press', 'lathe'].map((id) => ({
        id,
        profile: 'virtual-host',
        virtual: { scenario: 'healthy', firmware: 'js' },
        samplingRateHz: 200,
        sensors,
      })),
      mqtt: { embedded: { port: 0 } },
    });
    // The lathe's "cable": while unplugged, opening its port fails as a missing /dev/ttyACM1 would.
    let latheBoard: VirtualFirmataBoard | null = null;
    let plugged = true;
    const scenario = resolveScenario('healthy');
    const gateway = await Gateway.start({
      config,
      baseDir: dataDir,
      transportFor: (board) => ({
        open: () => {
          if (board.id === 'lathe' && !plugged) throw new Error('ENOENT: no such file /dev/ttyACM1');
          const b = new VirtualFirmataBoard({ scenario });
          if (board.id === 'lathe') latheBoard = b;
          return b.transport;
        },
        describe: () => 'test cable',
        close: async () => {},
      }),
    });
    cleanups.push(() => gateway.stop());
    const dashboard = await startDashboard(gateway, { host: '127.0.0.1', port: 0 });
    cleanups.push(() => dashboard.close());

    const statusOf = (id: string) => gateway.status().boards.find((b) => b.id === id)!;
    const retained = new Map<string, string>();
    const client = mqtt.connect(gateway.status().mqtt.broker, { protocolVersion: 4, reconnectPeriod: 200 });
    cleanups.push(() => client.endAsync(true));
    client.on('message', (topic, payload) => retained.set(topic, payload.toString()));
    await new Promise<void>((r) =>
      client.once('connect', () => client.subscribe('tinygate/plant/+/status', () => r())),
    );

    await waitFor(
      'both boards streaming',
      () => ['press', 'lathe'].every((id) => statusOf(id).state === 'streaming'),
      15_000,
    );
    await waitFor(
      'lathe online on MQTT',
      () => retained.get('tinygate/plant/lathe/status') === 'online',
      5000,
    );
    expect((await fetch(`${dashboard.url}/health`)).status).toBe(200);

    plugged = false;
    latheBoard!.unplug();
    await waitFor('lathe lost', () => statusOf('lathe').state === 'lost', 10_000);
    await waitFor(
      'lathe offline on MQTT',
      () => retained.get('tinygate/plant/lathe/status') === 'offline',
      5000,
    );
    const health = await fetch(`${dashboard.url}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { boards: Record<string, string> }).boards).toMatchObject({
      press: 'streaming',
      lathe: 'lost',
    });
    // The press keeps streaming while the lathe is gone.
    const pressSamples = statusOf('press').samples;
    await new Promise((r) => setTimeout(r, 1500));
    expect(statusOf('press').samples - pressSamples).toBeGreaterThan(200);
    expect(statusOf('press').state).toBe('streaming');

    plugged = true;
    await waitFor('lathe streaming again', () => statusOf('lathe').state === 'streaming', 20_000);
    await waitFor(
      'lathe online again on MQTT',
      () => retained.get('tinygate/plant/lathe/status') === 'online',
      5000,
    );
    expect(statusOf('lathe').reconnects).toBeGreaterThan(0);
    expect((await fetch(`${dashboard.url}/health`)).status).toBe(200);
  }, 60_000);
});
