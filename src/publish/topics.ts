import { TinygateError } from '../errors/index.js';

/** Root of every tinygate topic. */
export const TOPIC_ROOT = 'tinygate';

/** Gateway and board ids become topic levels: no separators, no wildcards, no empties. */
export function checkTopicId(what: string, id: string): string {
  if (!/^[^/+#\s]+$/.test(id)) {
    throw new TinygateError('MQTT_BAD_ID', `${what} id "${id}" cannot be used in an MQTT topic`, {
      hint: 'Use letters, digits, "-", "_" or "."; no spaces, "/", "+" or "#".',
    });
  }
  return id;
}

export interface Topics {
  gatewayStatus: string;
  /** Retained gateway diagnostics (uptime, alerts not yet delivered, broker trouble), JSON. */
  gatewayDiagnostics: string;
  boardStatus(board: string): string;
  boardState(board: string): string;
  boardAlert(board: string): string;
  /** Subscription filter matching every board's alert topic of this gateway. */
  allAlerts: string;
  /** Commands to a board (`learn`, `rollback`): tinygate/<gateway>/<board>/cmd/<command>. */
  boardCommand(board: string, command: string): string;
  /** Subscription filter for every board's commands. */
  allCommands: string;
  /** Where the answer to each command goes. */
  commandResult(board: string): string;
}

export function topicsFor(gateway: string): Topics {
  const base = `${TOPIC_ROOT}/${checkTopicId('gateway', gateway)}`;
  return {
    gatewayStatus: `${base}/status`,
    gatewayDiagnostics: `${base}/diagnostics`,
    boardStatus: (board) => `${base}/${checkTopicId('board', board)}/status`,
    boardState: (board) => `${base}/${checkTopicId('board', board)}/state`,
    boardAlert: (board) => `${base}/${checkTopicId('board', board)}/alert`,
    allAlerts: `${base}/+/alert`,
    boardCommand: (board, command) => `${base}/${checkTopicId('board', board)}/cmd/${command}`,
    allCommands: `${base}/+/cmd/+`,
    commandResult: (board) => `${base}/${checkTopicId('board', board)}/cmd/result`,
  };
}

/** Home Assistant object ids and unique ids allow only [a-zA-Z0-9_-]. */
export function haSafeId(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]/g, '_');
}
