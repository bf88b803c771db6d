// The webhook sink against a real local HTTP server: every alert arrives, signed, across a receiver that
// goes away and comes back and a gateway killed with SIGKILL and started again (counted on the receiver).
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublisher, WebhookConfig, WebhookSink } from '../../src/publish/index.js';
import { waitFor } from './fixtures.js';

const KEY = 'a shared key of the receiver and the gateway';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A receiver that checks each POST's signature, counts POSTs per alert id, and can go away and come back. */
function receiver() {
  const posts = new Map<string, number>();
  let badSignatures = 0;
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const want = `sha256=${createHmac('sha256', KEY).update(body).digest('hex')}`;
          if (req.headers['x-tinygate-signature'] !== want) {
            badSignatures++;
            res.writeHead(401).end();
            return;
          }
          const id = JSON.parse(body).id as string;
          expect(req.headers['idempotency-key']).toBe(id);
          posts.set(id, (posts.get(id) ?? 0) + 1);
          res.writeHead(204).end();
        });
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server?.close(() => resolve());
      server = null;
    });
  return { posts, listen, close, url: () => `http://127.0.0.1:${port}/alerts`, bad: () => badSignatures };
}

describe('webhook sink', () => {
  it('delivers every journaled alert across a receiver outage and a gateway SIGKILL', async () => {
    const journal = mkdtempSync(join(tmpdir(), 'tg-hook-'));
    cleanups.push(() => rmSync(journal, { recursive: true, force: true }));
    const r = receiver();
    await r.listen();
    cleanups.push(() => r.close());
    const mqtt = { embedded: { port: 0 }, journal: { path: journal } };
    const hook = { id: 'ops', url: r.url(), secretEnv: 'TG_HOOK_KEY', retry: { initialMs: 50, maxMs: 200 } };

    const journaled: string[] = [];
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./webhook-child.ts', import.meta.url)),
        JSON.stringify(mqtt),
        JSON.stringify(hook),
      ],
      { env: { ...process.env, TG_HOOK_KEY: KEY }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.stdout!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n'))
        if (line.startsWith('journaled ')) journaled.push(line.slice(10));
    });
    await waitFor('40 alerts received', () => r.posts.size >= 40, 30_000);
    // The receiver goes away for a second and a half while alerts keep coming.
    await r.close();
    const duringOutage = journaled.length;
    await new Promise((res) => setTimeout(res, 1500));
    expect(journaled.length).toBeGreaterThan(duringOutage);
    await r.listen();
    await waitFor(
      'the backlog delivered after the outage',
      () => r.posts.size >= journaled.length - 20 && journaled.length > duringOutage + 100,
      30_000,
    );
    // The receiver goes away again so the killed gateway surely leaves alerts undelivered (a fast child
    // could otherwise have delivered everything, leaving the restart nothing to prove).
    await r.close();
    const beforeKill = journaled.length;
    await waitFor(
      '20 alerts journaled with the receiver gone',
      () => journaled.length >= beforeKill + 20,
      30_000,
    );
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    const undelivered = journaled.filter((id) => !r.posts.has(id));
    expect(undelivered.length).toBeGreaterThanOrEqual(20);
    await r.listen();

    // The gateway starts again on the same journal and delivers what the killed one had not.
    process.env.TG_HOOK_KEY = KEY;
    const p = await createPublisher({
      gatewayId: 'gw-hook',
      config: mqtt,
      webhooks: [WebhookConfig.parse(hook)],
    });
    cleanups.push(async () => {
      delete process.env.TG_HOOK_KEY;
      await p.close({ drainMs: 0 });
    });
    const sink = p.sinks.find((s) => s.name === 'webhook:ops')!;
    await waitFor('every journaled alert received', () => journaled.every((id) => r.posts.has(id)), 30_000);
    await waitFor('nothing pending', () => sink.status().pending === 0, 10_000);

    expect(r.bad()).toBe(0);
    // Every alert written to the journal reached the receiver…
    expect(journaled.filter((id) => !r.posts.has(id))).toEqual([]);
    // …and a POST came again only where a 2xx and its acknowledgement on disk were cut apart (the alerts
    // last delivered before the kill or the outage); the receiver tells those apart by the Idempotency-Key.
    const killedAt = journaled.length;
    for (const [id, n] of r.posts) {
      if (n === 1) continue;
      const at = journaled.indexOf(id);
      expect(
        at > killedAt - 40 || Math.abs(at - duringOutage) < 40 || Math.abs(at - beforeKill) < 40,
        `${id} (#${at}) came ${n} times`,
      ).toBe(true);
    }
    // The restarted gateway itself delivered what the killed one left behind.
    expect(sink.status()).toMatchObject({ name: 'webhook:ops', reachable: true, pending: 0 });
    expect(sink.status().delivered).toBeGreaterThanOrEqual(undelivered.length);
  }, 90_000);

  it('refuses to start without its signing key, naming the variable', async () => {
    expect(
      () =>
        new WebhookSink({
          config: WebhookConfig.parse({
            id: 'ops',
            url: 'http://127.0.0.1:9/x',
            secretEnv: 'TG_NO_SUCH_KEY',
          }),
          gatewayId: 'gw',
          journal: { unacked: () => [], ack: () => {}, on: () => {}, off: () => {} },
          env: {},
        }),
    ).toThrow(/TG_NO_SUCH_KEY/);
  });
});
