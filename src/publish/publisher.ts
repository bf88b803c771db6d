import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alert } from '../detect/alert.js';
import { TinygateError } from '../errors/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker.js';
import { type MqttConfig, type MqttConfigInput, mqttConfigSchema } from './config.js';
import { ManagedConnection, type Up } from './connection.js';
import {
  boardDeviceId,
  boardDiscovery,
  gatewayDeviceId,
  gatewayDiscovery,
  type HaContext,
} from './home-assistant.js';
import { AlertJournal, type JournalEntry, type JournalStats } from './journal.js';
import { MQTT_SINK } from './journal-record.js';
import { type Logger, silentLogger } from './logger.js';
import { alertPayload, OFFLINE, ONLINE, PAYLOAD_VERSION, statePayload } from './payloads.js';
import { SparkplugNode } from './sparkplug-node.js';
import { checkTopicId, type Topics, topicsFor } from './topics.js';
import type { BoardCommand, BoardInfo, BoardState } from './types.js';

export interface PublisherOptions {
  /** This gateway's id: the second level of every tinygate topic. */
  gatewayId: string;
  /** The `mqtt` config section, validated here with `mqttConfigSchema`. */
  config: MqttConfigInput;
  /** pino or anything with debug/info/warn/error(obj, msg); silent by default. */
  logger?: Logger;
  /** Other sinks that deliver from the same journal, each with its own acknowledgements (e.g. webhook:ops). */
  otherSinks?: string[];
}

export interface Delivered {
  alert: Alert;
  seq: number;
  /** Epoch ms: on disk, and acknowledged by the broker (PUBACK). */
  journaledAt: number;
  ackedAt: number;
  /** Sent from the replay at (re)connect rather than live. */
  replayed: boolean;
}

export interface PublisherStatus {
  broker: string;
  embedded: boolean;
  connected: boolean;
  /** 5 or 4 (3.1.1) on the current or last connection. */
  protocolVersion: 4 | 5;
  connectAttempts: number;
  /** Why the broker is not reachable now, if it is not. */
  lastError: { code: string; message: string; hint?: string } | null;
  inflight: number;
  delivered: number;
  journal: JournalStats;
  sparkplug: { enabled: boolean; connected: boolean; born: boolean; bdSeq: number } | null;
}

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Parse the `mqtt` config section; problems come back as one error naming every bad field. */
export function parseMqttConfig(input: unknown): MqttConfig {
  const result = mqttConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `mqtt.${i.path.join('.')}: ${i.message}`);
  throw new TinygateError('CONFIG_INVALID', `invalid mqtt config: ${problems.join('; ')}`, {
    hint: 'Fix the named fields; docs/mqtt.md lists every mqtt setting.',
    details: {
      issues: result.error.issues.map((i) => ({ path: `mqtt.${i.path.join('.')}`, message: i.message })),
    },
  });
}

/**
 * Open the journal, start the embedded broker if no url is set, and start connecting in the background.
 * Resolves without waiting for the broker: alerts are journaled and sent whenever it is reachable.
 */
export async function createPublisher(options: PublisherOptions): Promise<Publisher> {
  const config = parseMqttConfig(options.config);
  const log = options.logger ?? silentLogger;
  const gateway = checkTopicId('gateway', options.gatewayId);
  const tls = await readTlsFiles(config);
  const journal = await AlertJournal.open(config.journal.path, {
    maxBytes: config.journal.maxBytes,
    logger: log,
    sinks: [MQTT_SINK, ...(options.otherSinks ?? [])],
  });
  let broker: EmbeddedBroker | null = null;
  if (!config.url) {
    try {
      broker = await startEmbeddedBroker({ port: config.embedded?.port ?? 1883, logger: log });
    } catch (err) {
      await journal.close();
      throw err;
    }
  }
  const publisher = new Publisher(gateway, config, journal, broker, tls, log);
  publisher.start();
  return publisher;
}

async function readTlsFiles(
  config: MqttConfig,
): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined> {
  if (!config.ca && !config.cert && !config.key) return undefined;
  const read = async (field: 'ca' | 'cert' | 'key'): Promise<Buffer | undefined> => {
    const path = config[field];
    if (!path) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new TinygateError(
        'MQTT_TLS_FILE',
        `mqtt.${field}: cannot read ${path}: ${(err as Error).message}`,
        {
          hint: `Point mqtt.${field} at a readable PEM file.`,
          cause: err,
        },
      );
    }
  };
  return { ca: await read('ca'), cert: await read('cert'), key: await read('key') };
}

/**
 * Publishes a gateway's alerts (never lost: journal first, QoS 1, acked on PUBACK, replayed on start and
 * reconnect), board state and status, Home Assistant discovery and a Sparkplug B edge node.
 * Events: `delivered` (Delivered), `connected` (Up), `disconnected` (TinygateError | null), `dropped` (JournalEntry).
 */
export class Publisher extends EventEmitter {
  readonly gatewayId: string;
  readonly brokerUrl: string;
  readonly topics: Topics;
  private readonly config: MqttConfig;
  /** Shared with the other sinks: they read new alerts from it and acknowledge under their own name. */
  readonly journal: AlertJournal;
  private readonly broker: EmbeddedBroker | null;
  private readonly log: Logger;
  private readonly conn: ManagedConnection;
  private readonly sparkplug: SparkplugNode | null;
  private readonly sparkplugConn: ManagedConnection | null;
  /** HA device ids of the boards the gateway runs (null until it says): others of ours are retired. */
  private configured: Set<string> | null = null;
  private seenDiscovery: [string, Buffer][] = [];
  private readonly ha: HaContext | null;
  private readonly boards = new Map<string, { info: BoardInfo; online: boolean }>();
  private readonly states = new Map<string, BoardState>();
  /** Unacked entries waiting to be sent on this connection, in journal order, from `head` on. */
  private pending: { entry: JournalEntry; replayed: boolean }[] = [];
  private head = 0;
  /** Seqs in `pending` not yet taken, so an alert is never queued twice. */
  private readonly queued = new Set<number>();
  private readonly inflight = new Set<number>();
  private window = 1;
  private deliveredCount = 0;
  private closing = false;

  constructor(
    gatewayId: string,
    config: MqttConfig,
    journal: AlertJournal,
    broker: EmbeddedBroker | null,
    tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined,
    log: Logger,
  ) {
    super();
    this.gatewayId = gatewayId;
    this.config = config;
    this.journal = journal;
    this.broker = broker;
    this.log = log;
    this.topics = topicsFor(gatewayId);
    this.brokerUrl = config.url ?? broker!.url;
    const clientId = config.clientId ?? `tinygate-${gatewayId}`;
    const common = {
      url: this.brokerUrl,
      username: config.username,
      password: config.password,
      tls,
      reconnect: config.reconnect,
      logger: log,
    };
    this.conn = new ManagedConnection({
      ...common,
      clientId,
      name: 'alerts',
      beforeConnect: () => ({ topic: this.topics.gatewayStatus, payload: OFFLINE, qos: 1, retain: true }),
    });
    this.ha =
      config.homeAssistant?.enabled !== false
        ? {
            prefix: config.homeAssistant?.prefix ?? 'homeassistant',
            statusTopic: config.homeAssistant?.statusTopic ?? 'homeassistant/status',
            gateway: gatewayId,
            topics: this.topics,
            version: VERSION,
            expireAfterS: 60,
          }
        : null;
    const sp = config.sparkplug;
    if (sp?.enabled) {
      this.sparkplug = new SparkplugNode({
        groupId: sp.groupId,
        edgeNodeId: sp.edgeNodeId,
        primaryHostId: sp.primaryHostId,
        bdSeqFile: join(config.journal.path, 'sparkplug-bdseq'),
        version: VERSION,
        logger: log,
        onCommand: (c) => this.emit('command', c),
      });
      const node = this.sparkplug;
      this.sparkplugConn = new ManagedConnection({
        ...common,
        clientId: `${clientId}-spb`,
        name: 'sparkplug',
        ...(sp.servers ? { url: sp.servers[0]!, servers: sp.servers } : {}),
        beforeConnect: () => node.nextWill(),
      });
      node.attach(this.sparkplugConn);
    } else {
      this.sparkplug = null;
      this.sparkplugConn = null;
    }
    journal.on('dropped', (e: JournalEntry) => this.emit('dropped', e));
  }

  /** @internal started by createPublisher */
  start(): void {
    this.conn.on('up', (up: Up) => this.onUp(up));
    this.conn.on('down', (err) => {
      this.inflight.clear();
      this.emit('disconnected', err);
    });
    this.conn.on('message', (topic: string, payload: Buffer) => {
      const command = this.commandOf(topic, payload);
      if (command) {
        this.emit('command', command);
        return;
      }
      if (this.ha && topic.startsWith(`${this.ha.prefix}/device/`)) {
        this.retiredBoard(topic, payload);
        return;
      }
      if (this.ha && topic === this.ha.statusTopic && payload.toString() === ONLINE) {
        this.log.info({}, 'Home Assistant is online: announcing devices again');
        this.announce();
      }
    });
    this.conn.start();
    this.sparkplugConn?.start();
  }

  private onUp(up: Up): void {
    this.window = Math.max(1, Math.min(this.config.maxInflight, up.receiveMaximum));
    this.inflight.clear();
    // Everything still unacknowledged goes again, in journal order, before new alerts.
    this.pending = this.journal.unacked(MQTT_SINK).map((entry) => ({ entry, replayed: true }));
    this.head = 0;
    this.queued.clear();
    for (const p of this.pending) this.queued.add(p.entry.seq);
    this.log.info(
      { url: this.brokerUrl, protocolVersion: up.protocolVersion, replay: this.pending.length },
      'MQTT connected',
    );
    this.emit('connected', up);
    void this.conn.publish(this.topics.gatewayStatus, ONLINE, { qos: 1, retain: true }).catch(() => {});
    this.pump();
    if (this.ha) void this.conn.subscribe({ [this.ha.statusTopic]: { qos: 1 } }).catch(() => {});
    // Retained discovery of boards this gateway announced before: those no longer configured are removed.
    if (this.ha)
      void this.conn.subscribe({ [`${this.ha.prefix}/device/+/config`]: { qos: 1 } }).catch(() => {});
    void this.conn.subscribe({ [this.topics.allCommands]: { qos: 1 } }).catch(() => {});
    this.announce();
  }

  /** Discovery, board status and latest state: everything a consumer that just (re)started needs. */
  private announce(): void {
    if (!this.conn.connected) return;
    const retained = { qos: 1 as const, retain: true };
    if (this.ha) {
      const g = gatewayDiscovery(this.ha);
      void this.conn.publish(g.topic, JSON.stringify(g.payload), retained).catch(() => {});
    }
    for (const { info, online } of this.boards.values()) this.announceBoard(info, online);
  }

  private announceBoard(info: BoardInfo, online: boolean): void {
    if (!this.conn.connected) return;
    const retained = { qos: 1 as const, retain: true };
    if (this.ha) {
      const d = boardDiscovery(this.ha, info);
      void this.conn.publish(d.topic, JSON.stringify(d.payload), retained).catch(() => {});
    }
    void this.conn
      .publish(this.topics.boardStatus(info.id), online ? ONLINE : OFFLINE, retained)
      .catch(() => {});
    const state = this.states.get(info.id);
    if (state) {
      void this.conn
        .publish(this.topics.boardState(info.id), statePayload(this.gatewayId, info.id, state), retained)
        .catch(() => {});
    }
  }

  /**
   * Journal the alert (fsync'd) and queue it for the broker. Resolves once it is on disk, never waiting for
   * the broker; rejects only if the journal cannot be written (the alert is then not kept).
   */
  async publishAlert(alert: Alert): Promise<void> {
    checkTopicId('board', alert.board);
    const entry = await this.journal.append(alert);
    if (entry.ackedBy.has(MQTT_SINK) || this.inflight.has(entry.seq) || this.queued.has(entry.seq)) return;
    // While disconnected the entry just waits in the journal: the replay at the next connect sends it.
    if (this.conn.connected) {
      this.pending.push({ entry, replayed: false });
      this.queued.add(entry.seq);
      this.pump();
    }
  }

  private pump(): void {
    while (this.conn.connected && this.inflight.size < this.window && this.head < this.pending.length) {
      const { entry, replayed } = this.pending[this.head++]!;
      this.queued.delete(entry.seq);
      if (entry.ackedBy.has(MQTT_SINK) || this.inflight.has(entry.seq)) continue;
      this.send(entry, replayed);
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private send(entry: JournalEntry, replayed: boolean): void {
    const { alert } = entry;
    this.inflight.add(entry.seq);
    this.conn
      .publish(this.topics.boardAlert(alert.board), alertPayload(this.gatewayId, alert), {
        qos: 1,
        userProperties: { 'alert-id': alert.id },
      })
      .then(
        () => {
          this.inflight.delete(entry.seq);
          this.journal.ack(entry.seq, MQTT_SINK);
          this.deliveredCount++;
          const delivered: Delivered = {
            alert,
            seq: entry.seq,
            journaledAt: entry.journaledAt,
            ackedAt: Date.now(),
            replayed,
          };
          this.emit('delivered', delivered);
          this.pump();
        },
        // The connection dropped before PUBACK: the entry stays unacked and goes again on reconnect.
        () => this.inflight.delete(entry.seq),
      );
    this.sparkplug?.alert(alert, replayed);
  }

  /** The dashboard's address for Home Assistant's device pages; announced again when it changes. */
  setConfigurationUrl(url: string): void {
    if (!this.ha || this.ha.configurationUrl === url) return;
    this.ha.configurationUrl = url;
    if (this.conn.connected) this.announce();
  }

  /**
   * The gateway's diagnostics, retained on tinygate/<gateway>/diagnostics: uptime, alerts the journal still
   * holds for the broker, connection attempts and the last broker error (Home Assistant shows them).
   */
  publishDiagnostics(d: { uptimeS: number }): void {
    // One pass over the journal serves both outputs.
    const unsentAlerts = this.journal.stats().unackedBySink[MQTT_SINK] ?? 0;
    this.sparkplug?.nodeData({ uptimeS: d.uptimeS, unsentAlerts });
    if (!this.conn.connected) return;
    const e = this.conn.lastError;
    const payload = {
      v: PAYLOAD_VERSION,
      gateway: this.gatewayId,
      uptimeS: d.uptimeS,
      unsentAlerts,
      connectAttempts: this.conn.attempts,
      lastBrokerError: e ? e.message : null,
      ts: Date.now(),
    };
    void this.conn
      .publish(this.topics.gatewayDiagnostics, JSON.stringify(payload), { qos: 1, retain: true })
      .catch(() => {});
  }

  /** The answer to a board command, on tinygate/<gateway>/<board>/cmd/result (not retained). */
  publishCommandResult(board: string, result: Record<string, unknown>): void {
    if (!this.conn.connected) return;
    void this.conn
      .publish(this.topics.commandResult(board), JSON.stringify(result), { qos: 1, retain: false })
      .catch(() => {});
  }

  // tinygate/<gateway>/<board>/cmd/<command> with a JSON object (or nothing); anything else is not a command.
  private commandOf(topic: string, payload: Buffer): BoardCommand | null {
    const prefix = this.topics.allCommands.split('+')[0]!;
    if (!topic.startsWith(prefix)) return null;
    const [board, cmd, command] = topic.slice(prefix.length).split('/');
    if (!board || cmd !== 'cmd' || !command || command === 'result') return null;
    let body: unknown = {};
    const text = payload.toString('utf8').trim();
    try {
      if (text) body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      this.publishCommandResult(board, {
        command,
        ok: false,
        error: {
          code: 'COMMAND_INVALID',
          message: `the ${command} command's payload is not a JSON object: ${text.slice(0, 80)}`,
        },
      });
      return null;
    }
    return { board, command, payload: body as Record<string, unknown> };
  }

  /** Retained latest-wins state of a board (not journaled: the next state supersedes it). */
  publishState(board: string, state: BoardState): void {
    checkTopicId('board', board);
    this.states.set(board, state);
    if (this.conn.connected) {
      void this.conn
        .publish(this.topics.boardState(board), statePayload(this.gatewayId, board, state), {
          qos: 1,
          retain: true,
        })
        .catch(() => {});
    }
    this.sparkplug?.state(board, state);
  }

  /** A board came up: status online, HA device, Sparkplug DBIRTH. Call again if its sensors change. */
  boardOnline(board: BoardInfo): void {
    checkTopicId('board', board.id);
    this.boards.set(board.id, { info: board, online: true });
    this.announceBoard(board, true);
    this.sparkplug?.boardOnline(board);
  }

  /**
   * A board in the gateway's config, before it streams: announced (HA discovery) with status offline, so a
   * board left `online` by a gateway that crashed is not shown online until it streams again.
   */
  boardConfigured(board: BoardInfo): void {
    checkTopicId('board', board.id);
    if (this.boards.has(board.id)) return;
    this.boards.set(board.id, { info: board, online: false });
    this.announceBoard(board, false);
  }

  /**
   * The boards the gateway runs, all of them: a board this gateway announced to Home Assistant before
   * (its retained discovery names this gateway as `via_device`) but no longer runs is removed from HA.
   */
  setConfiguredBoards(ids: string[]): void {
    this.configured = new Set(ids.map((b) => (this.ha ? boardDeviceId(this.ha.gateway, b) : b)));
    const seen = this.seenDiscovery;
    this.seenDiscovery = [];
    for (const [topic, payload] of seen) this.retiredBoard(topic, payload);
  }

  // A retained device discovery: if it is one of ours for a board no longer configured, publish it empty.
  private retiredBoard(topic: string, payload: Buffer): void {
    if (!this.ha || payload.length === 0) return;
    if (!this.configured) {
      this.seenDiscovery.push([topic, payload]);
      return;
    }
    let doc: { dev?: { ids?: string[]; via_device?: string } };
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const id = doc.dev?.ids?.[0];
    if (doc.dev?.via_device !== gatewayDeviceId(this.ha.gateway) || !id || this.configured.has(id)) return;
    this.log.info({ device: id }, `Home Assistant: removing ${id}, a board no longer in the config`);
    void this.conn.publish(topic, '', { qos: 1, retain: true }).catch(() => {});
  }

  /** A board went away: status offline (HA shows it unavailable), Sparkplug DDEATH. */
  boardLost(board: string): void {
    const b = this.boards.get(board);
    if (!b) return;
    b.online = false;
    if (this.conn.connected) {
      void this.conn
        .publish(this.topics.boardStatus(board), OFFLINE, { qos: 1, retain: true })
        .catch(() => {});
    }
    this.sparkplug?.boardLost(board);
  }

  status(): PublisherStatus {
    const e = this.conn.lastError;
    return {
      broker: this.brokerUrl,
      embedded: this.broker !== null,
      connected: this.conn.connected,
      protocolVersion: this.conn.protocolVersion,
      connectAttempts: this.conn.attempts,
      lastError: e ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } : null,
      inflight: this.inflight.size,
      delivered: this.deliveredCount,
      journal: this.journal.stats(),
      sparkplug: this.sparkplug
        ? {
            enabled: true,
            connected: this.sparkplugConn!.connected,
            born: this.sparkplug.isBorn,
            bdSeq: this.sparkplug.currentBdSeq,
          }
        : null,
    };
  }

  /** Resolves true once every journaled alert is acknowledged, false after `timeoutMs`. */
  async drained(timeoutMs = 10_000): Promise<boolean> {
    await this.journal.flush();
    const deadline = Date.now() + timeoutMs;
    while (this.journal.stats().unacked > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /**
   * Flush the journal, give unacknowledged alerts up to `drainMs` to reach the broker, mark boards and the
   * gateway offline, end the Sparkplug session with NDEATH, disconnect, and stop the embedded broker.
   * Alerts still unacknowledged stay in the journal for the next start.
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.journal.flush();
    if (this.conn.connected) {
      await this.drained(options.drainMs ?? 2000);
      const retained = { qos: 1 as const, retain: true };
      const offline = [...this.boards.keys()].map((b) =>
        this.conn.publish(this.topics.boardStatus(b), OFFLINE, retained).catch(() => {}),
      );
      offline.push(this.conn.publish(this.topics.gatewayStatus, OFFLINE, retained).catch(() => {}));
      await withTimeout(Promise.all(offline), 2000);
    }
    await this.sparkplug?.close();
    await this.conn.end();
    await this.journal.close();
    this.log.info({}, 'publisher: connection and journal closed');
    await this.broker?.close();
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
