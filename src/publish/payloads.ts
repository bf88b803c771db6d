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
}

export interface StatePayload extends BoardState {
  v: typeof PAYLOAD_VERSION;
  gateway: string;
  board: string;
}

export function alertPayload(gateway: string, alert: Alert): string {
  const payload: AlertPayload = { v: PAYLOAD_VERSION, gateway, ...alert };
  return JSON.stringify(payload);
}

export function statePayload(gateway: string, board: string, state: BoardState): string {
  const payload: StatePayload = {
    v: PAYLOAD_VERSION,
    gateway,
    board,
    anomaly: state.anomaly,
    score: state.score,
    threshold: state.threshold,
    sensors: state.sensors,
    ts: state.ts,
    ...(state.learning ? { learning: state.learning } : {}),
  };
  return JSON.stringify(payload);
}
