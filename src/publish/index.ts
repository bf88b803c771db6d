// Public entry of the publish capability: the gateway's outputs as sinks on one alert journal (tinygate's
// MQTT JSON topics, Home Assistant discovery, a Sparkplug B edge node, webhooks) and the embedded broker.
export { type EmbeddedBroker, startEmbeddedBroker } from './broker.js';
export { type MqttConfig, type MqttConfigInput, mqttConfigSchema } from './config.js';
export { boardDeviceId, gatewayDeviceId } from './home-assistant.js';
export { AlertJournal, type JournalEntry, type JournalStats, readJournal } from './journal.js';
export { type Logger, silentLogger } from './logger.js';
export { type Delivered, MqttJsonSink } from './mqtt-sink.js';
export { type AlertPayload, OFFLINE, ONLINE, PAYLOAD_VERSION, type StatePayload } from './payloads.js';
export {
  createPublisher,
  Publisher,
  type PublisherOptions,
  type PublisherStatus,
  parseMqttConfig,
} from './publisher.js';
export { type ReplayOptions, type ReplayResult, replayAlerts } from './replay.js';
export type { GatewayDiagnostics, Sink, SinkJournal, SinkStatus } from './sink.js';
export {
  decodePayload as decodeSparkplugPayload,
  NAMESPACE as SPARKPLUG_NAMESPACE,
} from './sparkplug-payloads.js';
export { type Topics, topicsFor } from './topics.js';
export type { BoardCommand, BoardInfo, BoardState, LearningState, SensorInfo } from './types.js';
export { WebhookConfig, type WebhookConfigInput, WebhookSink, webhookSignature } from './webhook-sink.js';
