// Every output the gateway can have, registered from the config in one table: a new output is one file with
// a Sink and one line here. HA comes before the JSON topics so a board's discovery precedes its status.
import { join } from 'node:path';
import type { MqttConfig } from './config.js';
import { ManagedConnection } from './connection.js';
import { HomeAssistantSink } from './home-assistant-sink.js';
import type { AlertJournal } from './journal.js';
import { MQTT_SINK } from './journal-record.js';
import type { Logger } from './logger.js';
import { MqttJsonSink } from './mqtt-sink.js';
import type { Sink } from './sink.js';
import { SparkplugNode } from './sparkplug-node.js';
import { SPARKPLUG_SINK, SparkplugSink } from './sparkplug-sink.js';
import type { Topics } from './topics.js';
import type { BoardCommand } from './types.js';
import { type WebhookConfig, WebhookSink } from './webhook-sink.js';

export interface OutputContext {
  gatewayId: string;
  config: MqttConfig;
  webhooks: WebhookConfig[];
  topics: Topics;
  /** The gateway's main MQTT connection (JSON topics and Home Assistant share it). */
  conn: ManagedConnection;
  journal: AlertJournal;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
  version: string;
  logger: Logger;
  onCommand: (c: BoardCommand) => void;
}

interface Output {
  /** The journal cursors its sinks acknowledge under (known before the journal opens). */
  cursors(c: Pick<OutputContext, 'config' | 'webhooks'>): string[];
  sinks(c: OutputContext): Sink[];
}

const OUTPUTS: Output[] = [
  {
    cursors: () => [],
    sinks: (c) =>
      c.config.homeAssistant?.enabled === false
        ? []
        : [
            new HomeAssistantSink({
              ha: {
                prefix: c.config.homeAssistant?.prefix ?? 'homeassistant',
                statusTopic: c.config.homeAssistant?.statusTopic ?? 'homeassistant/status',
                gateway: c.gatewayId,
                topics: c.topics,
                version: c.version,
                expireAfterS: 60,
              },
              conn: c.conn,
              logger: c.logger,
            }),
          ],
  },
  {
    cursors: () => [MQTT_SINK],
    sinks: (c) => [
      new MqttJsonSink({
        gatewayId: c.gatewayId,
        topics: c.topics,
        conn: c.conn,
        journal: c.journal,
        maxInflight: c.config.maxInflight,
        logger: c.logger,
      }),
    ],
  },
  {
    cursors: (c) => (c.config.sparkplug?.enabled ? [SPARKPLUG_SINK] : []),
    sinks: (c) => (c.config.sparkplug?.enabled ? [sparkplugSink(c)] : []),
  },
  {
    cursors: (c) => c.webhooks.map((w) => `webhook:${w.id}`),
    sinks: (c) =>
      c.webhooks.map(
        (w) => new WebhookSink({ config: w, gatewayId: c.gatewayId, journal: c.journal, logger: c.logger }),
      ),
  },
];

/** The journal's sink names for this config. */
export function journalCursors(config: MqttConfig, webhooks: WebhookConfig[]): string[] {
  return OUTPUTS.flatMap((o) => o.cursors({ config, webhooks }));
}

/** Every sink the config asks for, in the order they receive events. */
export function buildSinks(c: OutputContext): Sink[] {
  return OUTPUTS.flatMap((o) => o.sinks(c));
}

function sparkplugSink(c: OutputContext): SparkplugSink {
  const sp = c.config.sparkplug!;
  const clientId = `${c.config.clientId ?? `tinygate-${c.gatewayId}`}-spb`;
  let sink: SparkplugSink | null = null;
  const node = new SparkplugNode({
    groupId: sp.groupId,
    edgeNodeId: sp.edgeNodeId,
    primaryHostId: sp.primaryHostId,
    dataDatatypes: sp.dataDatatypes,
    bdSeqFile: join(c.config.journal.path, 'sparkplug-bdseq'),
    version: c.version,
    logger: c.logger,
    onCommand: c.onCommand,
    onDeviceBorn: (board) => sink?.deviceBorn(board),
  });
  const conn = new ManagedConnection({
    url: sp.servers?.[0] ?? c.conn.url,
    ...(sp.servers ? { servers: sp.servers } : {}),
    clientId,
    username: c.config.username,
    password: c.config.password,
    tls: c.tls,
    reconnect: c.config.reconnect,
    logger: c.logger,
    name: 'sparkplug',
    beforeConnect: () => node.nextWill(),
  });
  sink = new SparkplugSink({ node, conn, journal: c.journal, logger: c.logger });
  return sink;
}
