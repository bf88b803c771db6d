import type { Alert } from '../detect/alert.js';
import type { BoardState } from './types.js';

/** Version of the JSON payloads below; bumped on any incompatible change (documented in docs/mqtt.md). */
export const PAYLOAD_VERSION = 1;

/** Status topics carry plain strings so that Home Assistant availability can read them directly. */
export const ONLINE = 'online';
export const OFFLINE = 'offline';

export interface AlertPayload extends Alert {
  v: typeof PAYLOAD_VERSION;
  gateway: string;
  /** `kind` as a Home Assistant event type (`data-quality` → `data_quality`): the alert is an HA event. */
  event_type: string;
}

/** The Home Assistant event type of an alert kind. */
export function alertEventType(kind: Alert['kind']): string {
  return kind.replace(/-/g, '_');
}

/** Every alert kind, as HA event types (announced with the event entity). */
export const ALERT_EVENT_TYPES = (
  ['machine', 'sensor', 'data-quality', 'drift'] as const satisfies readonly Alert['kind'][]
).map(alertEventType);

export interface StatePayload extends BoardState {
  v: typeof PAYLOAD_VERSION;
  gateway: string;
  board: string;
}

export function alertPayload(gateway: string, alert: Alert): string {
  const payload: AlertPayload = {
    v: PAYLOAD_VERSION,
    gateway,
    ...alert,
    event_type: alertEventType(alert.kind),
  };
  return JSON.stringify(payload);
}

export function statePayload(gateway: string, board: string, state: BoardState): string {
  const payload: StatePayload = {
    v: PAYLOAD_VERSION,
    gateway,
    board,
    anomaly: state.anomaly,
    acknowledged: state.acknowledged ?? null,
    score: state.score,
    threshold: state.threshold,
    sensors: state.sensors,
    faultySensors: state.faultySensors ?? [],
    ts: state.ts,
    ...(state.rms ? { rms: state.rms } : {}),
    ...(state.diagnostics ? { diagnostics: state.diagnostics } : {}),
    ...(state.learning ? { learning: state.learning } : {}),
  };
  return JSON.stringify(payload);
}
