// One interface for every output that delivers the gateway's alerts from the journal: each sink reads new
// alerts as they become durable, replays what it has not delivered after a restart, and acknowledges under
// its own name, so "no alert lost" holds for each one. A new output is one new file implementing this.
import type { JournalEntry } from './journal.js';

export interface SinkStatus {
  /** The sink's journal name, e.g. `webhook:ops`. */
  name: string;
  /** Where it delivers (a URL, with any password removed). */
  target: string;
  /** The last delivery attempt succeeded (null before the first). */
  reachable: boolean | null;
  delivered: number;
  /** Alerts in the journal it has not delivered yet. */
  pending: number;
  lastError: string | null;
}

export interface AlertSink {
  readonly name: string;
  /** Start delivering: the journal's backlog for this sink first, then each new alert. */
  start(): void;
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
