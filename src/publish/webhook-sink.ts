// Alerts as HTTP POSTs, one at a time in journal order, retried with backoff until the receiver answers
// 2xx; signed with HMAC-SHA256 so the receiver can tell them from forgeries.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { TinygateError } from '../errors/index.js';
import { Backoff } from './backoff.js';
import type { JournalEntry } from './journal.js';
import { type Logger, silentLogger } from './logger.js';
import { alertPayload } from './payloads.js';
import type { Sink, SinkJournal, SinkStatus } from './sink.js';

export const WebhookConfig = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, _ and -')
      .describe('names the sink in the journal (webhook:<id>) and in /health'),
    url: z.string().url().describe('where each alert is POSTed (http or https)'),
    secretEnv: z
      .string()
      .optional()
      .describe('environment variable holding the HMAC-SHA256 key; without it, alerts go unsigned'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('a POST with no answer by then is retried'),
    retry: z
      .object({
        initialMs: z.number().int().positive().default(1000),
        maxMs: z.number().int().positive().default(60_000),
      })
      .strict()
      .default({ initialMs: 1000, maxMs: 60_000 }),
  })
  .strict();
export type WebhookConfig = z.infer<typeof WebhookConfig>;
export type WebhookConfigInput = z.input<typeof WebhookConfig>;

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes under the shared key. */
export function webhookSignature(key: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

export class WebhookSink implements Sink {
  readonly name: string;
  readonly takesAlerts = true;
  private readonly o: WebhookConfig;
  private readonly key: string | null;
  private readonly gatewayId: string;
  private readonly journal: SinkJournal;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private queue: JournalEntry[] = [];
  private readonly queued = new Set<number>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private abort: AbortController | null = null;
  private closed = false;
  private delivered = 0;
  private reachable: boolean | null = null;
  private lastError: string | null = null;
  private readonly onDurable = (e: JournalEntry) => this.enqueue(e);

  constructor(o: {
    config: WebhookConfig;
    gatewayId: string;
    journal: SinkJournal;
    logger?: Logger;
    env?: NodeJS.ProcessEnv;
  }) {
    this.o = o.config;
    this.name = `webhook:${o.config.id}`;
    this.gatewayId = o.gatewayId;
    this.journal = o.journal;
    this.log = o.logger ?? silentLogger;
    this.backoff = new Backoff(o.config.retry.initialMs, o.config.retry.maxMs);
    const env = o.env ?? process.env;
    if (o.config.secretEnv && !env[o.config.secretEnv]) {
      throw new TinygateError(
        'WEBHOOK_SECRET_MISSING',
        `webhooks.${o.config.id}: the environment variable ${o.config.secretEnv} (its signing key) is not set`,
        {
          hint: `Set ${o.config.secretEnv} to the key the receiver checks signatures with, or drop secretEnv to send unsigned.`,
        },
      );
    }
    this.key = o.config.secretEnv ? env[o.config.secretEnv]! : null;
  }

  start(): void {
    this.journal.on('durable', this.onDurable);
    for (const e of this.journal.unacked(this.name)) this.enqueue(e);
  }

  status(): SinkStatus {
    return {
      name: this.name,
      target: redact(this.o.url),
      reachable: this.reachable,
      delivered: this.delivered,
      pending: this.journal.unacked(this.name).length,
      lastError: this.lastError,
    };
  }

  async close(options: { drainMs?: number } = {}): Promise<void> {
    this.closed = true;
    this.journal.off('durable', this.onDurable);
    if (this.timer) clearTimeout(this.timer);
    const running = this.running;
    if (!running) return;
    const late = setTimeout(() => this.abort?.abort(), options.drainMs ?? 2000);
    await running;
    clearTimeout(late);
  }

  private enqueue(e: JournalEntry): void {
    if (this.closed || e.ackedBy.has(this.name) || this.queued.has(e.seq)) return;
    this.queued.add(e.seq);
    this.queue.push(e);
    if (!this.running && !this.timer) this.running = this.deliverAll();
  }

  // One POST at a time, in journal order; a failure waits out the backoff and tries the same alert again.
  private async deliverAll(): Promise<void> {
    while (!this.closed && this.queue.length > 0) {
      const e = this.queue[0]!;
      const error = await this.post(e);
      if (error === null) {
        this.queue.shift();
        this.queued.delete(e.seq);
        this.journal.ack(e.seq, this.name);
        this.delivered++;
        this.reachable = true;
        this.backoff.reset();
        continue;
      }
      this.reachable = false;
      if (this.lastError !== error)
        this.log.warn({ sink: this.name, alertId: e.alert.id }, `${this.name}: ${error}; retrying`);
      this.lastError = error;
      if (this.closed) break;
      const wait = this.backoff.next();
      this.running = null;
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.closed) this.running = this.deliverAll();
      }, wait);
      return;
    }
    this.running = null;
  }

  /** null when the receiver took it (2xx), else why not. */
  private async post(e: JournalEntry): Promise<string | null> {
    const body = alertPayload(this.gatewayId, e.alert);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': e.alert.id,
      'x-tinygate-alert-id': e.alert.id,
    };
    if (this.key) headers['x-tinygate-signature'] = webhookSignature(this.key, body);
    this.abort = new AbortController();
    const timer = setTimeout(() => this.abort?.abort(), this.o.timeoutMs);
    try {
      const res = await fetch(this.o.url, { method: 'POST', headers, body, signal: this.abort.signal });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? null : `the receiver answered HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.abort.signal.aborted
        ? `no answer within ${this.o.timeoutMs} ms`
        : `cannot reach ${redact(this.o.url)}: ${cause?.code ?? cause?.message ?? (err as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
