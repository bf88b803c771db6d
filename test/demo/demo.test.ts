// `tinygate demo` as a user runs it, headless: a separate process, its embedded broker watched by an
// MQTT client, and its dashboard opened in Debian's chromium through playwright-core. Each machine learns its
// normal first; for 25 s after that three CPU-bound processes load the (2-core) machine, as a busy gateway
// is: the healthy boards must still raise no machine alert, the faulty one must, and the healthy ones then
// learn their own models.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { freePort } from '../publish/mosquitto.js';

const DURATION_S = 170;
/** CPU-bound processes started this many seconds into the demo, each running LOAD_S seconds. */
const LOAD_AT_S = 55;
const LOAD_S = 25;
const LOADERS = 3;
const chromiumPath = (() => {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();
const SHOTS = join(ROOT, 'test-output');

interface Received {
  topic: string;
  payload: string;
  at: number;
}

describe('tinygate demo (three virtual boards, embedded broker, dashboard)', () => {
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;
  let mqttPort: number;
  let dashboardPort: number;
  const received: Received[] = [];
  let client: mqtt.MqttClient;
  const loaders: ChildProcess[] = [];
  let loadTimer: NodeJS.Timeout | undefined;
  const t0 = Date.now();

  beforeAll(async () => {
    mqttPort = await freePort();
    dashboardPort = await freePort();
    child = spawn(
      process.execPath,
      [
        BIN,
        'demo',
        '--duration',
        String(DURATION_S),
        '--mqtt-port',
        String(mqttPort),
        '--dashboard-port',
        String(dashboardPort),
        '--json',
        '--verbose',
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    exited = new Promise((resolve) => child.on('close', resolve));
    // The broker appears once the demo is up; the client retries until then.
    client = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 200,
      connectTimeout: 2000,
    });
    client.on('message', (topic, payload) =>
      received.push({ topic, payload: payload.toString(), at: Date.now() - t0 }),
    );
    await new Promise<void>((resolve) =>
      client.once('connect', () => client.subscribe('tinygate/#', { qos: 1 }, () => resolve())),
    );
    // The broker is up once the demo runs: load the machine from LOAD_AT_S into it.
    loadTimer = setTimeout(() => {
      for (let i = 0; i < LOADERS; i++) {
        loaders.push(
          spawn(
            process.execPath,
            ['-e', `const end = Date.now() + ${LOAD_S * 1000}; while (Date.now() < end);`],
            {
              stdio: 'ignore',
            },
          ),
        );
      }
    }, LOAD_AT_S * 1000);
  }, 30_000);

  afterAll(async () => {
    clearTimeout(loadTimer);
    for (const l of loaders) l.kill('SIGKILL');
    client?.end(true);
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it.skipIf(!chromiumPath)(
    'serves a dashboard whose charts update and which shows the alert',
    async () => {
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({
          executablePath: chromiumPath,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        });
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`http://127.0.0.1:${dashboardPort}/`);
        // One card per board, each with a live chart.
        await page.waitForSelector('[data-board="fan-3"] canvas', { timeout: 15_000 });
        expect(await page.locator('[data-board]').count()).toBe(3);
        // Each machine first learns its normal, and the page says so.
        await page.waitForSelector('[data-board="line-1"] .learning:not([hidden])', { timeout: 15_000 });
        expect(await page.locator('[data-board="line-1"] .learning').textContent()).toMatch(
          /learning its normal \d+ %/,
        );
        const updates = async () =>
          Number(await page.locator('[data-board="line-1"]').getAttribute('data-updates'));
        const before = await updates();
        await page.waitForTimeout(2000);
        expect(await updates()).toBeGreaterThan(before);
        // The bearing fault on fan-3 shows up in the alert list.
        const row = page.locator('#alerts tr[data-board="fan-3"]');
        // The demo builds its firmware and renders its scenarios first: on a loaded machine that takes a while.
        await row.first().waitFor({ timeout: (DURATION_S + 30) * 1000 });
        expect(
          // Data-quality rows may appear (the loaded machine delays samples); a machine alert may not.
          await page
            .locator('#alerts tr.machine[data-board="line-1"], #alerts tr.machine[data-board="pump-2"]')
            .count(),
        ).toBe(0);
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, 'dashboard-demo.png'), fullPage: true });
        expect(existsSync(join(SHOTS, 'dashboard-demo.png'))).toBe(true);
      } finally {
        await browser?.close();
      }
    },
    (DURATION_S + 60) * 1000,
  );

  it(
    'publishes an alert for the faulty board on MQTT and none for the healthy ones, then stops cleanly',
    async () => {
      // A demo that does not stop is a failure with its log, not a silent test timeout.
      const code = await Promise.race([
        exited,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), (DURATION_S + 90) * 1000)),
      ]);
      if (code === 'hung') child.kill('SIGKILL');
      expect(code, `demo exit; its log:\n${stderr.split('\n').slice(-40).join('\n')}`).toBe(0);
      const alerts = received.filter((m) => m.topic.endsWith('/alert'));
      const boards = alerts.map((m) => JSON.parse(m.payload).board as string);
      expect(boards).toContain('fan-3');
      expect(loaders.length, 'the machine was loaded during the run').toBe(LOADERS);
      const machineAlerts = alerts.map((m) => JSON.parse(m.payload) as { board: string; kind: string });
      expect(machineAlerts.filter((a) => a.board !== 'fan-3' && a.kind === 'machine')).toEqual([]);
      // Timing trouble may show as data quality; a machine alert on a healthy board is a lie.
      // The fault starts at 75 s of scenario time: the first machine alert is the fan's.
      const first = machineAlerts.find((a) => a.kind === 'machine');
      expect(first).toMatchObject({ board: 'fan-3', kind: 'machine' });
      // Every board went offline on a clean stop.
      for (const b of ['line-1', 'pump-2', 'fan-3']) {
        const last = received.filter((m) => m.topic === `tinygate/demo/${b}/status`).at(-1);
        expect(last?.payload, `${b} status`).toBe('offline');
      }
      const summary = JSON.parse(stdout) as {
        stoppedBy: string;
        boards: {
          id: string;
          windows: number;
          model: { id: string } | null;
          learning: { state: string; version: number | null; last: { ok: boolean; message: string } | null };
        }[];
        alerts: { total: number };
      };
      expect(summary.stoppedBy).toBe('duration');
      expect(summary.alerts.total).toBeGreaterThanOrEqual(1);
      for (const b of summary.boards) expect(b.windows, b.id).toBeGreaterThan(250);
      // The healthy machines learned their own models and watch with them; the fan, in alarm, did not.
      const byId = Object.fromEntries(summary.boards.map((b) => [b.id, b]));
      for (const id of ['line-1', 'pump-2']) {
        expect(byId[id]!.learning, id).toMatchObject({ state: 'watching', version: 1, last: { ok: true } });
        expect(byId[id]!.model?.id, id).toBe(`${id}-v1`);
      }
      expect(byId['fan-3']!.learning).toMatchObject({
        version: null,
        last: { ok: false, message: expect.stringMatching(/machine alarm/) },
      });
    },
    // Start-up (firmware build, scenario rendering, flashing) comes before the demo's own run.
    (DURATION_S + 120) * 1000,
  );
});
