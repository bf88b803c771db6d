// `tinygate learn` and `tinygate models` against a running gateway's dashboard API: the command starts
// learning and says what it needs, the version list starts empty, and mistakes (a board that is not
// there, no gateway at the address, a rollback with nothing to go back to) get clear errors.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';
import { Gateway, GatewayConfig } from '../../src/gateway/index.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../publish/mosquitto.js';

const SENSORS = [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }];

describe('tinygate learn / models', () => {
  let gateway: Gateway;
  let dashboard: Dashboard;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-learn-cli-'));
    const config = GatewayConfig.parse({
      gateway: { id: 'plant', dataDir: dir },
      boards: [
        {
          id: 'lathe',
          profile: 'virtual-host',
          virtual: { scenario: 'healthy', firmware: 'js' },
          samplingRateHz: 1000,
          sensors: SENSORS,
        },
      ],
      mqtt: { embedded: { port: 0 } },
    });
    gateway = await Gateway.start({ config, baseDir: dir });
    dashboard = await startDashboard(gateway, { host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await dashboard?.close();
    await gateway?.stop();
  });

  it('starts learning and says what learning needs', async () => {
    const r = await runCli(['learn', 'lathe', '--url', dashboard.url, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'learning', windows: 0, needWindows: 251 });
    expect(gateway.status().boards[0]!.learning?.state).toBe('learning');
    const human = await runCli(['learn', 'lathe', '--url', dashboard.url]);
    expect(human.stdout).toMatch(
      /lathe: learning its normal \(at least 251 windows\); no machine alarms until it is done/,
    );
  });

  it('lists no versions yet, and a rollback with nothing to go back to is refused', async () => {
    const list = await runCli(['models', 'lathe', '--url', dashboard.url]);
    expect(list.stdout).toMatch(/lathe: no learned models yet/);
    const back = await runCli(['models', 'lathe', '--rollback', '--url', dashboard.url]);
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/MODEL_VERSION_UNKNOWN|no configured model to go back to/);
  });

  it('takes ack and restart over the same API: ack refused before any alarm, restart drops and reopens the link', async () => {
    const ack = await fetch(`${dashboard.url}/api/boards/lathe/ack`, { method: 'POST' });
    expect(ack.status).toBe(409);
    expect(await ack.json()).toMatchObject({ ok: false, error: { code: 'ACK_NOTHING' } });
    const restart = await fetch(`${dashboard.url}/api/boards/lathe/restart`, { method: 'POST' });
    expect(await restart.json()).toMatchObject({ ok: true, result: { board: 'lathe', state: 'lost' } });
    await waitFor('streaming again', () => gateway.status().boards[0]!.state === 'streaming', 20_000);
  }, 30_000);

  it('names the boards when the board is not there, and says how to reach a gateway when none answers', async () => {
    const wrong = await runCli(['learn', 'lahte', '--url', dashboard.url]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/no board "lahte" on gateway plant/);
    expect(wrong.stderr).toMatch(/lathe/);
    const port = await freePort();
    const none = await runCli(['learn', 'lathe', '--url', `http://127.0.0.1:${port}`]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`no gateway answers at http://127.0.0.1:${port}`));
    expect(none.stderr).toMatch(/tinygate run/);
  });
});
