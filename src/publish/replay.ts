import { readFile } from 'node:fs/promises';
import { TinygateError } from '../errors/index.js';
import { ManagedConnection, type Up } from './connection.js';
import { readJournal } from './journal.js';
import { type Logger, silentLogger } from './logger.js';
import { alertPayload } from './payloads.js';
import { checkTopicId, topicsFor } from './topics.js';

export interface ReplayOptions {
  /** The gateway's mqtt.journal.path. */
  journalPath: string;
  gatewayId: string;
  url: string;
  username?: string;
  password?: string;
  /** PEM file paths for mqtts://. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Only alerts raised at or after / before these epoch ms. */
  since?: number;
  until?: number;
  board?: string;
  /** Give up connecting after this long (default 15 s). */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export interface ReplayResult {
  broker: string;
  protocolVersion: 4 | 5;
  /** Alerts published at QoS 1 and acknowledged by the broker. */
  published: number;
  /** Alerts in the journal outside the selection. */
  skipped: number;
}

/**
 * Publish alerts kept in a journal again (e.g. after a broker lost messages it had acknowledged). Reads the
 * journal without changing it, so it is safe while the gateway runs; consumers dedupe by alert id.
 */
export async function replayAlerts(o: ReplayOptions): Promise<ReplayResult> {
  const gateway = checkTopicId('gateway', o.gatewayId);
  const topics = topicsFor(gateway);
  const { entries } = await readJournal(o.journalPath);
  const chosen = entries.filter(
    (e) =>
      (o.since === undefined || e.alert.ts >= o.since) &&
      (o.until === undefined || e.alert.ts < o.until) &&
      (o.board === undefined || e.alert.board === o.board),
  );
  const tls =
    o.ca || o.cert || o.key
      ? {
          ca: o.ca ? await readPem('ca', o.ca) : undefined,
          cert: o.cert ? await readPem('cert', o.cert) : undefined,
          key: o.key ? await readPem('key', o.key) : undefined,
        }
      : undefined;
  const conn = new ManagedConnection({
    url: o.url,
    clientId: `tinygate-${gateway}-replay-${process.pid}`,
    username: o.username,
    password: o.password,
    tls,
    reconnect: { minMs: 500, maxMs: 2000 },
    name: 'replay',
    logger: o.logger ?? silentLogger,
  });
  try {
    const up = await new Promise<Up>((resolve, reject) => {
      const t = setTimeout(() => {
        reject(
          conn.lastError ??
            new TinygateError(
              'MQTT_UNREACHABLE',
              `no connection to ${o.url} within ${o.connectTimeoutMs ?? 15_000} ms`,
              {
                hint: 'Check the url and that the broker runs.',
              },
            ),
        );
      }, o.connectTimeoutMs ?? 15_000);
      conn.once('up', (u: Up) => {
        clearTimeout(t);
        resolve(u);
      });
      conn.start();
    });
    const window = Math.min(100, up.receiveMaximum);
    let next = 0;
    let published = 0;
    await new Promise<void>((resolve, reject) => {
      const sendMore = (): void => {
        if (published === chosen.length) {
          resolve();
          return;
        }
        while (next < chosen.length && next - published < window) {
          const { alert } = chosen[next++]!;
          conn
            .publish(topics.boardAlert(alert.board), alertPayload(gateway, alert), {
              qos: 1,
              userProperties: { 'alert-id': alert.id },
            })
            .then(() => {
              published++;
              sendMore();
            }, reject);
        }
      };
      sendMore();
    });
    return {
      broker: o.url,
      protocolVersion: up.protocolVersion,
      published,
      skipped: entries.length - chosen.length,
    };
  } finally {
    await conn.end();
  }
}

async function readPem(field: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new TinygateError('MQTT_TLS_FILE', `--${field}: cannot read ${path}: ${(err as Error).message}`, {
      hint: 'Point it at a readable PEM file.',
    });
  }
}
