// Alerts/s journaled (fsync'd) + published at QoS 1 by tinygate, beside mqtt.js publishing the same payloads at
// QoS 1 without a journal, to the same local mosquitto in the same run; plus journal-to-PUBACK latency.
// Prints one JSON document on stdout; progress on stderr.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import type { Alert } from '../src/detect/alert.js';
import { createPublisher } from '../src/publish/index.js';
import { alertPayload } from '../src/publish/payloads.js';
import { makeAlert } from '../test/publish/fixtures.js';
import { haveMosquitto, startMosquitto } from '../test/publish/mosquitto.js';

const BURST = 5000;
const TRICKLE = 300;
const ROUNDS = 5;

if (!haveMosquitto()) {
  console.error('bench publish: needs mosquitto (apt-get install mosquitto)');
  process.exit(1);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const median = (xs: number[]) => quantile(xs, 0.5);
const round2 = (x: number) => Math.round(x * 100) / 100;

const broker = await startMosquitto();
const creds = { username: broker.username, password: broker.password };
const gateway = 'bench';
const topic = (a: Alert) => `tinygate/${gateway}/${a.board}/alert`;

/** mqtt.js alone: the same topic, payload and user property at QoS 1, all in flight at once. */
async function rawRound(alerts: Alert[]): Promise<{ rate: number; latencyMs: number[] }> {
  const client = mqtt.connect(broker.url, { ...creds, protocolVersion: 5, clientId: `raw-${process.pid}` });
  await new Promise((r) => client.once('connect', r));
  const latency: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    alerts.map(
      (a) =>
        new Promise<void>((resolve, reject) => {
          const sent = performance.now();
          client.publish(
            topic(a),
            alertPayload(gateway, a),
            { qos: 1, properties: { userProperties: { 'alert-id': a.id } } },
            (err) => {
              if (err) return reject(err);
              latency.push(performance.now() - sent);
              resolve();
            },
          );
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => client.end(false, () => r()));
  return { rate: alerts.length / seconds, latencyMs: latency };
}

/** tinygate: journal (fsync) then QoS 1, acked in the journal on PUBACK. */
async function journaledRound(
  alerts: Alert[],
  mode: 'burst' | 'trickle',
): Promise<{ rate: number; journalToAckMs: number[]; appendMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-journal-'));
  const publisher = await createPublisher({
    gatewayId: gateway,
    config: {
      url: broker.url,
      ...creds,
      journal: { path: dir },
      homeAssistant: { enabled: false },
    },
  });
  await new Promise((r) => publisher.once('connected', r));
  const journaled = new Map<string, number>();
  const journalToAck: number[] = [];
  const append: number[] = [];
  let delivered = 0;
  let allDelivered: () => void = () => {};
  const done = new Promise<void>((r) => {
    allDelivered = r;
  });
  publisher.on('delivered', (d) => {
    journalToAck.push(performance.now() - journaled.get(d.alert.id)!);
    if (++delivered === alerts.length) allDelivered();
  });
  const one = async (a: Alert) => {
    const t = performance.now();
    const p = publisher.publishAlert(a);
    await p;
    const now = performance.now();
    journaled.set(a.id, now);
    append.push(now - t);
  };
  const t0 = performance.now();
  if (mode === 'burst') {
    await Promise.all(alerts.map(one));
  } else {
    for (const a of alerts) await one(a);
  }
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await publisher.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: alerts.length / seconds, journalToAckMs: journalToAck, appendMs: append };
}

// Warm-up (not counted): first connections, JIT, the broker's allocations.
await rawRound(Array.from({ length: 1000 }, (_, i) => makeAlert(i)));
await journaledRound(
  Array.from({ length: 1000 }, (_, i) => makeAlert(i)),
  'burst',
);

const rounds: { raw: number; journaled: number }[] = [];
const rawLatency: number[] = [];
const burstLatency: number[] = [];
const burstAppend: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const alerts = Array.from({ length: BURST }, (_, i) => makeAlert(i, `board-${i % 4}`));
  // Alternate the order so neither side always runs on a warmer broker.
  const first = r % 2 === 0 ? 'raw' : 'journaled';
  let raw = { rate: 0, latencyMs: [] as number[] };
  let jr = { rate: 0, journalToAckMs: [] as number[], appendMs: [] as number[] };
  if (first === 'raw') {
    raw = await rawRound(alerts);
    jr = await journaledRound(
      alerts.map((a, i) => makeAlert(i, a.board)),
      'burst',
    );
  } else {
    jr = await journaledRound(alerts, 'burst');
    raw = await rawRound(alerts.map((a, i) => makeAlert(i, a.board)));
  }
  rounds.push({ raw: Math.round(raw.rate), journaled: Math.round(jr.rate) });
  rawLatency.push(...raw.latencyMs);
  burstLatency.push(...jr.journalToAckMs);
  burstAppend.push(...jr.appendMs);
  console.error(
    `bench publish: round ${r + 1}/${ROUNDS}: raw ${Math.round(raw.rate)}/s, journaled ${Math.round(jr.rate)}/s`,
  );
}
const trickle = await journaledRound(
  Array.from({ length: TRICKLE }, (_, i) => makeAlert(i)),
  'trickle',
);
console.error(`bench publish: trickle ${Math.round(trickle.rate)}/s`);
await broker.dispose();

const rawRate = median(rounds.map((r) => r.raw));
const journaledRate = median(rounds.map((r) => r.journaled));
const result = {
  broker: 'mosquitto 2 (local, loopback, MQTT 5, default config: Receive Maximum 20)',
  note: 'tinygate keeps at most Receive Maximum (20) alerts in flight as MQTT 5 requires; mqtt.js alone does not limit itself',
  alertsPerRound: BURST,
  rounds,
  burst: {
    what: `${BURST} alerts handed over at once; time until the last PUBACK`,
    rawMqttJsPerSecond: rawRate,
    journaledPerSecond: journaledRate,
    ratio: round2(journaledRate / rawRate),
    ratioPerRound: rounds.map((r) => round2(r.journaled / r.raw)),
    goal: 'ratio >= 0.5',
    journalToPubackMs: {
      p50: round2(quantile(burstLatency, 0.5)),
      p99: round2(quantile(burstLatency, 0.99)),
    },
    rawPublishToPubackMs: { p50: round2(quantile(rawLatency, 0.5)), p99: round2(quantile(rawLatency, 0.99)) },
    appendMs: { p50: round2(quantile(burstAppend, 0.5)), p99: round2(quantile(burstAppend, 0.99)) },
  },
  trickle: {
    what: `${TRICKLE} alerts one after another, each awaited (one fsync each)`,
    journaledPerSecond: Math.round(trickle.rate),
    appendMs: { p50: round2(quantile(trickle.appendMs, 0.5)), p99: round2(quantile(trickle.appendMs, 0.99)) },
    journalToPubackMs: {
      p50: round2(quantile(trickle.journalToAckMs, 0.5)),
      p99: round2(quantile(trickle.journalToAckMs, 0.99)),
    },
  },
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
