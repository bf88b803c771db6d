import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { isTinygateError } from '../errors/index.js';
import type { BoardStatus } from '../gateway/board-runner.js';
import type { Gateway } from '../gateway/gateway.js';

const here = dirname(fileURLToPath(import.meta.url));
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

/** Files the page needs, read once: no build step, no bundler. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: join(here, 'public', 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(here, 'public', 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: join(here, 'public', 'app.css'), type: 'text/css; charset=utf-8' },
  '/uplot.js': { file: join(uplotDir, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { file: join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Where a board's windows are scored and, on the board, how fast and how often it fell back. */
function inferenceHealth(b: BoardStatus) {
  const on = b.boardInference;
  if (!on) return { on: 'gateway' };
  return {
    on: 'board',
    lastOn: on.lastOn,
    windows: on.onBoard,
    lastMicros: on.lastMicros,
    fellBack: on.fellBack,
    ...(on.lastError ? { lastError: on.lastError } : {}),
  };
}

function learningHealth(b: BoardStatus) {
  const l = b.learning;
  if (!l) return null;
  return {
    state: l.state,
    progress: Math.round(l.progress * 100) / 100,
    windows: l.windows,
    needWindows: l.needWindows,
    version: l.version,
    ...(l.last ? { last: l.last } : {}),
  };
}

/** A command's result as JSON: 200 with the result, or the TinygateError with a status that says whose fault. */
async function answer(reply: FastifyReply, run: () => unknown): Promise<void> {
  try {
    reply.send({ ok: true, result: await run() });
  } catch (err) {
    if (!isTinygateError(err)) throw err;
    const status = err.code === 'BOARD_UNKNOWN' || err.code === 'MODEL_VERSION_UNKNOWN' ? 404 : 409;
    reply.code(err.kind === 'internal' ? 500 : status).send({ ok: false, error: err.toJSON() });
  }
}

export interface DashboardOptions {
  host: string;
  port: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/**
 * The live page: status, signals, scores and alerts, pushed over Server-Sent Events. It reads the
 * gateway in this process, so it keeps working when the MQTT broker is down.
 */
export async function startDashboard(gateway: Gateway, o: DashboardOptions): Promise<Dashboard> {
  const app: FastifyInstance = Fastify({ logger: false });
  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(asset.file);
    app.get(path, (_req, reply) => reply.type(asset.type).send(body));
  }
  app.get('/health', (_req, reply) => {
    const s = gateway.status();
    const healthy = s.boards.every((b) => b.state === 'streaming');
    reply.code(healthy ? 200 : 503).send({
      ok: healthy,
      gateway: s.gateway,
      uptimeS: s.uptimeS,
      boards: Object.fromEntries(s.boards.map((b) => [b.id, b.state])),
      inference: Object.fromEntries(s.boards.map((b) => [b.id, inferenceHealth(b)])),
      mqtt: { connected: s.mqtt.connected, broker: s.mqtt.broker, unacked: s.mqtt.journal.unacked },
      learning: Object.fromEntries(s.boards.map((b) => [b.id, learningHealth(b)])),
    });
  });
  // Commands a running gateway takes (`tinygate learn`, `tinygate models`, ack, restart); the same go over MQTT.
  app.post<{ Params: { id: string }; Body: { force?: boolean } | null }>(
    '/api/boards/:id/learn',
    (req, reply) => answer(reply, () => gateway.learn(req.params.id, { force: req.body?.force === true })),
  );
  app.get<{ Params: { id: string } }>('/api/boards/:id/models', (req, reply) =>
    answer(reply, () => gateway.models(req.params.id)),
  );
  app.post<{ Params: { id: string }; Body: { version?: number } | null }>(
    '/api/boards/:id/rollback',
    (req, reply) => answer(reply, () => gateway.rollback(req.params.id, req.body?.version)),
  );
  app.post<{ Params: { id: string } }>('/api/boards/:id/ack', (req, reply) =>
    answer(reply, () => gateway.acknowledge(req.params.id)),
  );
  app.post<{ Params: { id: string } }>('/api/boards/:id/restart', (req, reply) =>
    answer(reply, () => gateway.restart(req.params.id)),
  );
  app.post<{ Params: { id: string }; Body: { value?: unknown } | null }>(
    '/api/boards/:id/threshold',
    (req, reply) => answer(reply, () => gateway.setThreshold(req.params.id, req.body?.value)),
  );
  app.get('/api/status', (_req, reply) => reply.send(gateway.status()));
  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('status', gateway.status());
    const onTrace = (t: unknown) => send('trace', t);
    const onAlert = (a: unknown) => send('alert', a);
    const onState = (s: unknown) => send('state', s);
    const onDecision = (d: {
      board: string;
      score: number | null;
      verdict: string;
      window: { end: number };
    }) => send('decision', { board: d.board, score: d.score, verdict: d.verdict, ts: d.window.end });
    gateway.on('trace', onTrace);
    gateway.on('alert', onAlert);
    gateway.on('state', onState);
    gateway.on('decision', onDecision);
    const timer = setInterval(() => send('status', gateway.status()), 1000);
    req.raw.on('close', () => {
      clearInterval(timer);
      gateway.off('trace', onTrace);
      gateway.off('alert', onAlert);
      gateway.off('state', onState);
      gateway.off('decision', onDecision);
    });
  });
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    url: `http://${o.host}:${port}`,
    close: async () => {
      // Open SSE streams would hold the server open: end them first.
      app.server.closeAllConnections?.();
      await app.close();
    },
  };
}
