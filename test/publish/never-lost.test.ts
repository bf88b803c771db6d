// The product promise: a journaled alert reaches the broker, whatever happens to the broker or the gateway.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/publish/index.js';
import { makeAlert, subscriber, waitFor } from './fixtures.js';
import { haveMosquitto, type Mosquitto, startMosquitto } from './mosquitto.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tg-lost-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function broker(options: Parameters<typeof startMosquitto>[0] = {}): Promise<Mosquitto> {
  const b = await startMosquitto(options);
  cleanups.push(() => b.dispose());
  return b;
}

/** A consumer that survives the broker restart: persistent session (clean: false), QoS 1. */
async function durableConsumer(b: Mosquitto, gateway: string) {
  const sub = await subscriber(b.url, [`tinygate/${gateway}/+/alert`], {
    username: b.username,
    password: b.password,
    clientId: `consumer-${gateway}`,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  cleanups.push(() => sub.close());
  const ids = () => new Set(sub.messages.map((m) => JSON.parse(m.payload.toString()).id as string));
  return { sub, ids };
}

describe.skipIf(!haveMosquitto())('alerts are never lost', () => {
  it('broker killed and restarted during a stream of 1,000 alerts: the subscriber gets all 1,000 ids', async () => {
    const b = await broker({ persistence: true });
    const { sub, ids } = await durableConsumer(b, 'gw-restart');
    const p = await createPublisher({
      gatewayId: 'gw-restart',
      config: {
        url: b.url,
        username: b.username,
        password: b.password,
        journal: { path: tempDir() },
        reconnect: { minMs: 50, maxMs: 300 },
      },
    });
    cleanups.push(() => p.close({ drainMs: 0 }));
    let connects = 0;
    let replayedDeliveries = 0;
    p.on('connected', () => connects++);
    p.on('delivered', (d) => {
      if (d.replayed) replayedDeliveries++;
    });

    const sent: string[] = [];
    let restarted = false;
    for (let i = 0; i < 1000; i++) {
      const a = makeAlert(i, `board-${i % 4}`);
      sent.push(a.id);
      await p.publishAlert(a);
      if (i === 300) {
        // Let some traffic be in flight, then take the broker down in the middle of the stream.
        await waitFor('some deliveries', () => p.status().delivered > 100);
        await b.stop('SIGTERM');
      }
      if (i === 600) {
        expect(p.status().connected).toBe(false);
        await b.start();
        restarted = true;
      }
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(restarted).toBe(true);
    expect(await p.drained(30_000)).toBe(true);
    // The outage really happened: a second connection, and alerts journaled meanwhile went out as replay.
    expect(connects).toBeGreaterThanOrEqual(2);
    expect(replayedDeliveries).toBeGreaterThan(0);
    await waitFor('all 1,000 ids at the subscriber', () => ids().size >= 1000, 30_000);
    expect([...ids()].sort()).toEqual([...sent].sort());
    // Duplicates are allowed (consumers dedupe by id); losses are not.
    expect(sub.messages.length).toBeGreaterThanOrEqual(1000);
  });

  it('gateway SIGKILLed while the broker is down, then restarted: every alert journaled before the kill arrives', async () => {
    const b = await broker();
    await b.stop('SIGKILL');
    const journal = tempDir();
    const config = {
      url: b.url,
      username: b.username,
      password: b.password,
      journal: { path: journal },
      reconnect: { minMs: 50, maxMs: 300 },
    };

    // A gateway process that journals alerts as fast as it can and says which ones are on disk.
    const journaled: string[] = [];
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./gateway-child.ts', import.meta.url)),
        JSON.stringify(config),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) if (l.startsWith('journaled ')) journaled.push(l.slice(10));
    });
    await waitFor('300 alerts journaled by the child', () => journaled.length >= 300, 30_000);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const before = [...journaled];

    await b.start();
    const { ids } = await durableConsumer(b, 'gw-kill');
    const p = await createPublisher({ gatewayId: 'gw-kill', config });
    cleanups.push(() => p.close({ drainMs: 0 }));
    await waitFor(`all ${before.length} journaled alerts`, () => before.every((id) => ids().has(id)), 30_000);
    expect(await p.drained(30_000)).toBe(true);
  });
});
