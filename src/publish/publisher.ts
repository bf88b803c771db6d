import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Alert } from '../detect/alert.js';
import { TinygateError } from '../errors/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker.js';
import { type MqttConfig, type MqttConfigInput, mqttConfigSchema } from './config.js';
import { ManagedConnection } from './connection.js';
import { HomeAssistantSink } from './home-assistant-sink.js';
import { AlertJournal, type JournalEntry, type JournalStats } from './journal.js';
import { type Logger, silentLogger } from './logger.js';
import { MqttJsonSink } from './mqtt-sink.js';
import { buildSinks, journalCursors } from './outputs.js';
import { OFFLINE } from './payloads.js';
import type { Sink } from './sink.js';
import { SparkplugSink } from './sparkplug-sink.js';
import { checkTopicId, type Topics, topicsFor } from './topics.js';
import type { BoardInfo, BoardState } from './types.js';
import type { WebhookConfig } from './webhook-sink.js';

export interface PublisherOptions {
  /** This gateway's id: the second level of every tinygate topic. */
  gatewayId: string;
  /** The `mqtt` config section, validated here with `mqttConfigSchema`. */
  config: MqttConfigInput;
  /** The `webhooks` config section: one alert sink each. */
  webhooks?: WebhookConfig[];
  /** pino or anything with debug/info/warn/error(obj, msg); silent by default. */
  logger?: Logger;
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
  const webhooks = options.webhooks ?? [];
  const journal = await AlertJournal.open(config.journal.path, {
    maxBytes: config.journal.maxBytes,
    logger: log,
    sinks: journalCursors(config, webhooks),
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
  let publisher: Publisher;
  try {
    publisher = new Publisher({ gatewayId: gateway, config, webhooks, journal, broker, tls, logger: log });
  } catch (err) {
    await journal.close();
    await broker?.close();
    throw err;
  }
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
 * The gateway's outputs: the alert journal, the MQTT connection, and every sink registered from the config
 * (src/publish/outputs.ts): tinygate's JSON topics, Home Assistant, Sparkplug B, webhooks. The gateway calls
 * it alone; it passes each event to every sink that takes it.
 * Events: `delivered` (Delivered), `connected` (Up), `disconnected` (TinygateError | null), `dropped`
 * (JournalEntry), `command` (BoardCommand, from MQTT or a Sparkplug DCMD).
 */
export class Publisher extends EventEmitter {
  readonly gatewayId: string;
  readonly brokerUrl: string;
  readonly topics: Topics;
  /** Every sink reads new alerts from it and acknowledges under its own name. */
  readonly journal: AlertJournal;
  readonly sinks: Sink[];
  private readonly broker: EmbeddedBroker | null;
  private readonly log: Logger;
  private readonly conn: ManagedConnection;
  private readonly json: MqttJsonSink;
  private readonly ha: HomeAssistantSink | null;
  private readonly sparkplug: SparkplugSink | null;
  private closing = false;

  constructor(o: {
    gatewayId: string;
    config: MqttConfig;
    webhooks: WebhookConfig[];
    journal: AlertJournal;
    broker: EmbeddedBroker | null;
    tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
    logger: Logger;
  }) {
    super();
    this.gatewayId = o.gatewayId;
    this.journal = o.journal;
    this.broker = o.broker;
    this.log = o.logger;
    this.topics = topicsFor(o.gatewayId);
    this.brokerUrl = o.config.url ?? o.broker!.url;
    this.conn = new ManagedConnection({
      url: this.brokerUrl,
      clientId: o.config.clientId ?? `tinygate-${o.gatewayId}`,
      username: o.config.username,
      password: o.config.password,
      tls: o.tls,
      reconnect: o.config.reconnect,
      logger: o.logger,
      name: 'alerts',
      beforeConnect: () => ({ topic: this.topics.gatewayStatus, payload: OFFLINE, qos: 1, retain: true }),
    });
    this.sinks = buildSinks({
      gatewayId: o.gatewayId,
      config: o.config,
      webhooks: o.webhooks,
      topics: this.topics,
      conn: this.conn,
      journal: o.journal,
      tls: o.tls,
      version: VERSION,
      logger: o.logger,
      onCommand: (c) => this.emit('command', c),
    });
    this.json = this.sinks.find((s) => s instanceof MqttJsonSink)!;
    this.ha = this.sinks.find((s) => s instanceof HomeAssistantSink) ?? null;
    this.sparkplug = this.sinks.find((s) => s instanceof SparkplugSink) ?? null;
    for (const event of ['delivered', 'connected', 'disconnected', 'command'])
      this.json.on(event, (x: unknown) => this.emit(event, x));
    o.journal.on('dropped', (e: JournalEntry) => this.emit('dropped', e));
  }

  /** @internal started by createPublisher */
  start(): void {
    for (const s of this.sinks) s.start();
    this.conn.start();
  }

  /**
   * Journal the alert (fsync'd); every sink that takes alerts then delivers it from the journal. Resolves
   * once it is on disk, never waiting for a sink; rejects only if the journal cannot be written.
   */
  async publishAlert(alert: Alert): Promise<void> {
    checkTopicId('board', alert.board);
    await this.journal.append(alert);
  }

  /** The dashboard's address for Home Assistant's device pages; announced again when it changes. */
  setConfigurationUrl(url: string): void {
    this.ha?.setConfigurationUrl(url);
  }

  /** The gateway's diagnostics (uptime, alerts not yet delivered, broker trouble) to every sink that shows them. */
  publishDiagnostics(d: { uptimeS: number }): void {
    // One pass over the journal serves every sink.
    const diagnostics = { uptimeS: d.uptimeS, journal: this.journal.stats() };
    for (const s of this.sinks) s.diagnostics?.(diagnostics);
  }

  /** The answer to a board command, on tinygate/<gateway>/<board>/cmd/result (not retained). */
  publishCommandResult(board: string, result: Record<string, unknown>): void {
    this.json.commandResult(board, result);
  }

  /** Retained latest-wins state of a board (not journaled: the next state supersedes it). */
  publishState(board: string, state: BoardState): void {
    checkTopicId('board', board);
    for (const s of this.sinks) s.boardState?.(board, state);
  }

  /** A board came up: status online, HA device, Sparkplug DBIRTH. Call again if its sensors change. */
  boardOnline(board: BoardInfo): void {
    checkTopicId('board', board.id);
    for (const s of this.sinks) s.boardOnline?.(board);
  }

  /**
   * A board in the gateway's config, before it streams: announced (HA discovery) with status offline, so a
   * board left `online` by a gateway that crashed is not shown online until it streams again.
   */
  boardConfigured(board: BoardInfo): void {
    checkTopicId('board', board.id);
    for (const s of this.sinks) s.boardConfigured?.(board);
  }

  /** The boards the gateway runs, all of them: outputs retire what they announced for others before. */
  setConfiguredBoards(ids: string[]): void {
    for (const s of this.sinks) s.configuredBoards?.(ids);
  }

  /** A board went away: status offline (HA shows it unavailable), Sparkplug DDEATH. */
  boardLost(board: string): void {
    for (const s of this.sinks) s.boardLost?.(board);
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
      inflight: this.json.inflightCount,
      delivered: this.json.deliveredTotal,
      journal: this.journal.stats(),
      sparkplug: this.sparkplug
        ? {
            enabled: true,
            connected: this.sparkplug.connected,
            born: this.sparkplug.node.isBorn,
            bdSeq: this.sparkplug.node.currentBdSeq,
          }
        : null,
    };
  }

  /** Resolves true once every journaled alert is acknowledged by every sink, false after `timeoutMs`. */
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
   * Flush the journal, close every sink (each gives its undelivered alerts up to `drainMs`; MQTT then marks
   * boards and the gateway offline, Sparkplug ends with NDEATH), disconnect, and stop the embedded broker.
   * Alerts still undelivered stay in the journal for the next start.
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.journal.flush();
    await Promise.allSettled(this.sinks.map((s) => s.close({ drainMs: options.drainMs ?? 2000 })));
    await this.conn.end();
    await this.journal.close();
    this.log.info({}, 'publisher: connections and journal closed');
    await this.broker?.close();
  }
}
