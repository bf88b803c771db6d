// One interface for every output of the gateway. Alerts reach a sink through the journal: it reads new ones
// as they become durable, replays what it has not delivered after a restart, and acknowledges under its own
// name, so "no alert lost" holds for each one. Board events come as calls. A new output is one new file.
import type { ManagedConnection } from './connection.js';
import type { JournalEntry, JournalStats } from './journal.js';
import type { BoardInfo, BoardState } from './types.js';

export interface SinkStatus {
  /** The sink's name, e.g. `mqtt`, `sparkplug`, `webhook:ops` (its journal cursor when it takes alerts). */
  name: string;
  /** Where it delivers (a URL, with any password removed). */
  target: string;
  /** The last delivery attempt succeeded (null before the first). */
  reachable: boolean | null;
  delivered: number;
  /** Alerts in the journal it has not delivered yet (0 for a sink that takes no alerts). */
  pending: number;
  lastError: string | null;
}

/** The status of a sink that delivers over an MQTT connection (reachable = connected, once it has tried). */
export function connectionStatus(
  name: string,
  conn: ManagedConnection,
  counts: { delivered: number; pending: number; target?: string },
): SinkStatus {
  const e = conn.lastError;
  return {
    name,
    target: counts.target ?? conn.url,
    reachable: conn.attempts === 0 ? null : conn.connected,
    delivered: counts.delivered,
    pending: counts.pending,
    lastError: e ? e.message : null,
  };
}

/** The gateway's own figures, given to every sink now and then. */
export interface GatewayDiagnostics {
  uptimeS: number;
  /** The journal's counts, taken once for every sink. */
  journal: JournalStats;
}

export interface Sink {
  readonly name: string;
  /** It delivers alerts from the journal under `name` (acknowledging each); false: it takes none. */
  readonly takesAlerts: boolean;
  /** Start delivering: the journal's backlog for this sink first, then each new alert. */
  start(): void;
  /** The boards the gateway runs, all of them, once at start (a sink may retire what it announced before). */
  configuredBoards?(ids: string[]): void;
  /** A configured board, before it streams (announce it offline). */
  boardConfigured?(board: BoardInfo): void;
  /** A board streams (again, or with changed sensors). */
  boardOnline?(board: BoardInfo): void;
  boardLost?(board: string): void;
  /** A board's latest state (latest wins: not journaled). */
  boardState?(board: string, state: BoardState): void;
  diagnostics?(d: GatewayDiagnostics): void;
  status(): SinkStatus;
  /** Stop; an attempt in flight gets up to `drainMs` to finish (what is left goes after the next start). */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** What a sink reads from the journal (AlertJournal fits it). */
export interface SinkJournal {
  unacked(sink: string): JournalEntry[];
  ack(seq: number, sink: string): void;
  on(event: 'durable', fn: (entry: JournalEntry) => void): unknown;
  off(event: 'durable', fn: (entry: JournalEntry) => void): unknown;
}
