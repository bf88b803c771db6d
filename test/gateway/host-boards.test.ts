// The gateway on the real firmware-bridge (host build, one process per board on a pty): the model is
// flashed once and kept across restarts; a board whose process is killed is reported lost while the
// other keeps streaming, and comes back when its process is started again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import type { SerialBoardTransport } from '../../src/gateway/serial-transports.js';
import { buildHostFirmware } from '../../src/link/index.js';
import { ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const sensors = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function config(dataDir: string) {
  return GatewayConfig.parse({
    gateway: { id: 'plant', dataDir },
    boards: ['press', 'lathe'].map((id) => ({
      id,
      profile: 'virtual-host',
      virtual: { scenario: 'healthy', firmware: 'host' },
      samplingRateHz: 1000,
      sensors,
      model: join(ROOT, 'models', 'motor-vib'),
    })),
    mqtt: { embedded: { port: 0 } },
  });
}

describe('gateway on host firmware boards', () => {
  beforeAll(async () => {
    await buildHostFirmware();
  }, 120_000);

  it('flashes the model once, and a killed board is lost, then back, while the other streams', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tg-gw-host-'));
    const gateway = await Gateway.start({ config: config(dataDir), baseDir: dataDir });
    stops.push(() => gateway.stop());
    const status = (id: string) => gateway.status().boards.find((b) => b.id === id)!;
    for (const id of ['press', 'lathe'])
      expect(status(id).deployment).toMatchObject({ flashed: true, bytes: 3664 });
    await waitFor(
      'both streaming',
      () => status('press').state === 'streaming' && status('lathe').state === 'streaming',
      20_000,
    );

    const lathe = gateway.runners.find((r) => r.config.id === 'lathe')!.transport as SerialBoardTransport;
    lathe.process!()!.kill('SIGKILL');
    await waitFor('lathe lost', () => status('lathe').state === 'lost', 15_000);
    const before = status('press').samples;
    await new Promise((r) => setTimeout(r, 1000));
    expect(status('press').samples - before).toBeGreaterThan(800);
    await waitFor('lathe streaming again', () => status('lathe').state === 'streaming', 30_000);
    expect(status('lathe').reconnects).toBeGreaterThan(0);
    await gateway.stop();
    stops.length = 0;

    // A restart finds the model already on both boards (their flash files are in the data folder).
    const again = await Gateway.start({ config: config(dataDir), baseDir: dataDir });
    stops.push(() => again.stop());
    for (const b of again.status().boards)
      expect(b.deployment).toMatchObject({ flashed: false, bytes: 3664 });
  }, 120_000);
});
