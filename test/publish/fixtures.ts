// Shared bits for the publish tests: alerts with ULID ids, a subscriber that collects what a consumer sees,
// and polling with a deadline.
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Alert } from '../../src/detect/alert.js';
import type { Logger } from '../../src/publish/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (48-bit ms time + 80 random bits, Crockford base32), as the detector makes them. */
export function ulid(time = Date.now()): string {
  let t = '';
  let n = time;
  for (let i = 0; i < 10; i++) {
    t = CROCKFORD[n % 32] + t;
    n = Math.floor(n / 32);
  }
  const r = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[r[i]! % 32];
  return t + rand;
}

export function makeAlert(i: number, board = 'motor-1'): Alert {
  const ts = Date.now();
  return {
    id: ulid(ts),
    board,
    sensor: 'vibration',
    kind: i % 7 === 0 ? 'sensor' : 'machine',
    score: 3 + (i % 10) / 10,
    threshold: 2.5,
    window: { start: ts - 1000, end: ts },
    model: { id: 'ad01', hash: 'sha256:00ff' },
    ts,
    message: `vibration RMS ${(3 + (i % 10) / 10).toFixed(1)}x normal on ${board} (#${i})`,
  };
}

export { waitFor } from '../helpers/wait.js';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
  userProperties?: Record<string, string | string[]>;
}

/** A consumer: subscribes (QoS 1) and records every message; reconnects on its own. */
export async function subscriber(
  url: string,
  filters: string[],
  options: IClientOptions = {},
): Promise<{ client: MqttClient; messages: Received[]; close(): Promise<void> }> {
  const messages: Received[] = [];
  const client = mqtt.connect(url, { reconnectPeriod: 100, protocolVersion: 5, ...options });
  client.on('message', (topic, payload, packet) => {
    messages.push({
      topic,
      payload,
      retain: packet.retain,
      qos: packet.qos,
      userProperties: packet.properties?.userProperties,
    });
  });
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('connect', (connack) => {
      if (connack.sessionPresent) return resolve();
      client.subscribe(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), (err) =>
        err ? reject(err) : resolve(),
      );
    });
  });
  return {
    client,
    messages,
    close: () => new Promise<void>((r) => client.end(true, () => r())),
  };
}

/** A logger that keeps what was said, for asserting on log lines. */
export function memoryLogger(): Logger & { lines: { level: string; obj: object; msg?: string }[] } {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A loopback TCP proxy in front of a broker, to cut connections as a network failure would. */
export async function tcpProxy(targetPort: number): Promise<{
  url: string;
  /** Destroy every connection (no DISCONNECT reaches the broker: it sends the wills). */
  cut(): void;
  /** Refuse new connections until resumed. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
  /** Bytes each client sent towards the broker, per connection in order (to read packets on the wire). */
  sent: Buffer[][];
}> {
  const { createServer, connect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const sent: Buffer[][] = [];
  let accepting = true;
  const server = createServer((client) => {
    if (!accepting) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    sent.push(chunks);
    client.on('data', (d: Buffer) => chunks.push(d));
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    sent,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    pause: () => {
      accepting = false;
    },
    resume: () => {
      accepting = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
