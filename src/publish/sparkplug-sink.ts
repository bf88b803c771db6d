// Sparkplug B on its own MQTT session: the edge node and one device per board, alerts as DDATA from the
// journal under the name `sparkplug` (store and forward: an alert raised with no birth in place goes as
// historical after the next one, across gateway restarts too).
import type { ManagedConnection } from './connection.js';
import type { AlertJournal, JournalEntry } from './journal.js';
import type { Logger } from './logger.js';
import { connectionStatus, type GatewayDiagnostics, type Sink, type SinkStatus } from './sink.js';
import type { SparkplugNode } from './sparkplug-node.js';
import type { BoardInfo, BoardState } from './types.js';

export const SPARKPLUG_SINK = 'sparkplug';

export class SparkplugSink implements Sink {
  readonly name = SPARKPLUG_SINK;
  readonly takesAlerts = true;
  readonly node: SparkplugNode;
  private readonly conn: ManagedConnection;
  private readonly journal: AlertJournal;
  private readonly log: Logger;
  /** Seqs being written now, so a birth's flush and a live alert do not send one twice. */
  private readonly sending = new Set<number>();
  private delivered = 0;
  private readonly onDurable = (e: JournalEntry) => this.deliver(e, false);

  /** `node` must have been made with `onDeviceBorn: (b) => sink.deviceBorn(b)`. */
  constructor(o: { node: SparkplugNode; conn: ManagedConnection; journal: AlertJournal; logger: Logger }) {
    this.node = o.node;
    this.conn = o.conn;
    this.journal = o.journal;
    this.log = o.logger;
  }

  get connected(): boolean {
    return this.conn.connected;
  }

  start(): void {
    this.node.attach(this.conn);
    this.journal.on('durable', this.onDurable);
    this.conn.start();
  }

  /** A board was born: its alerts that had no birth to go with go now, as historical, in journal order. */
  deviceBorn(board: string): void {
    for (const e of this.journal.unacked(SPARKPLUG_SINK)) if (e.alert.board === board) this.deliver(e, true);
  }

  private deliver(e: JournalEntry, historical: boolean): void {
    if (e.ackedBy.has(SPARKPLUG_SINK) || this.sending.has(e.seq)) return;
    const sent = this.node.alert(e.alert, historical);
    if (!sent) return;
    this.sending.add(e.seq);
    sent.then(
      () => {
        this.sending.delete(e.seq);
        this.journal.ack(e.seq, SPARKPLUG_SINK);
        this.delivered++;
      },
      (err: unknown) => {
        this.sending.delete(e.seq);
        this.log.debug(
          { alertId: e.alert.id, err: (err as Error).message },
          'sparkplug: alert not written; kept',
        );
      },
    );
  }

  /** Alerts of a board no longer configured have no Sparkplug device to go to: they leave this sink's backlog. */
  configuredBoards(ids: string[]): void {
    const known = new Set(ids);
    const orphans = this.journal.unacked(SPARKPLUG_SINK).filter((e) => !known.has(e.alert.board));
    for (const e of orphans) this.journal.ack(e.seq, SPARKPLUG_SINK);
    if (orphans.length > 0)
      this.log.info(
        { alerts: orphans.length },
        `sparkplug: ${orphans.length} journaled alert(s) of boards no longer configured are not sent`,
      );
  }

  boardOnline(board: BoardInfo): void {
    this.node.boardOnline(board);
  }

  boardLost(board: string): void {
    this.node.boardLost(board);
  }

  boardState(board: string, state: BoardState): void {
    this.node.state(board, state);
  }

  diagnostics(d: GatewayDiagnostics): void {
    this.node.nodeData({ uptimeS: d.uptimeS, unsentAlerts: d.journal.unacked });
  }

  status(): SinkStatus {
    return connectionStatus(this.name, this.conn, {
      delivered: this.delivered,
      pending: this.journal.unacked(SPARKPLUG_SINK).length,
    });
  }

  /** NDEATH and disconnect; alerts not yet written stay in the journal for the next session. */
  async close(): Promise<void> {
    this.journal.off('durable', this.onDurable);
    await this.node.close();
  }
}
