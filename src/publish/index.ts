// Public entry of the publish capability: MQTT alerts that are never lost, board state, Home Assistant
// discovery, a Sparkplug B edge node, the embedded broker, and other alert sinks (webhooks) on the journal.
export { type EmbeddedBroker, startEmbeddedBroker } from './broker.js';
export { type MqttConfig, type MqttConfigInput, mqttConfigSchema } from './config.js';
export { boardDeviceId, gatewayDeviceId } from './home-assistant.js';
export { AlertJournal, type JournalEntry, type JournalStats, readJournal } from './journal.js';
export { type Logger, silentLogger } from './logger.js';
export { type AlertPayload, OFFLINE, ONLINE, PAYLOAD_VERSION, type StatePayload } from './payloads.js';
export {
  createPublisher,
  type Delivered,
  Publisher,
  type PublisherOptions,
  type PublisherStatus,
  parseMqttConfig,
} from './publisher.js';
export { type ReplayOptions, type ReplayResult, replayAlerts } from './replay.js';
export type { AlertSink, SinkJournal, SinkStatus } from './sink.js';
export {
  decodePayload as decodeSparkplugPayload,
  NAMESPACE as SPARKPLUG_NAMESPACE,
} from './sparkplug-payloads.js';
export { type Topics, topicsFor } from './topics.js';
export type { BoardCommand, BoardInfo, BoardState, LearningState, SensorInfo } from './types.js';
export { WebhookConfig, type WebhookConfigInput, WebhookSink, webhookSignature } from './webhook-sink.js';
