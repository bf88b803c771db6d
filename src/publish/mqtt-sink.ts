// tinygate's own JSON topics: alerts at QoS 1 acknowledged on PUBACK, retained board status and state,
// gateway diagnostics, and the board commands that come in under …/cmd/<command>.
import { EventEmitter } from 'node:events';
import type { Alert } from '../detect/alert.js';
import type { ManagedConnection, Up } from './connection.js';
import type { AlertJournal, JournalEntry } from './journal.js';
import { MQTT_SINK } from './journal-record.js';
import { type Logger, silentLogger } from './logger.js';
import { alertPayload, OFFLINE, ONLINE, PAYLOAD_VERSION, statePayload } from './payloads.js';
import { connectionStatus, type GatewayDiagnostics, type Sink, type SinkStatus } from './sink.js';
import type { Topics } from './topics.js';
import type { BoardCommand, BoardInfo, BoardState } from './types.js';

export interface Delivered {
  alert: Alert;
  seq: number;
  /** Epoch ms: on disk, and acknowledged by the broker (PUBACK). */
  journaledAt: number;
  ackedAt: number;
  /** Sent from the replay at (re)connect rather than live. */
  replayed: boolean;
}

const RETAINED = { qos: 1 as const, retain: true };

/**
 * The JSON-over-MQTT sink on the gateway's main MQTT connection. Alerts are never lost: each stays in the
 * journal until the broker's PUBACK, and what is unacknowledged goes again, in order, at every connect.
 * Events: `delivered` (Delivered), `connected` (Up), `disconnected` (TinygateError | null), `command` (BoardCommand).
 */
export class MqttJsonSink extends EventEmitter implements Sink {
  readonly name = MQTT_SINK;
  readonly takesAlerts = true;
  private readonly gatewayId: string;
  private readonly topics: Topics;
  private readonly conn: ManagedConnection;
  private readonly journal: AlertJournal;
  private readonly maxInflight: number;
  private readonly log: Logger;
  private readonly boards = new Map<string, { online: boolean; state?: BoardState }>();
  /** Unacked entries waiting to be sent on this connection, in journal order, from `head` on. */
  private pending: { entry: JournalEntry; replayed: boolean }[] = [];
  private head = 0;
  /** Seqs in `pending` not yet taken, so an alert is never queued twice. */
  private readonly queued = new Set<number>();
  private readonly inflight = new Set<number>();
  private window = 1;
  private deliveredCount = 0;
  private readonly onDurable = (e: JournalEntry) => this.enqueue(e);

  constructor(o: {
    gatewayId: string;
    topics: Topics;
    conn: ManagedConnection;
    journal: AlertJournal;
    maxInflight: number;
    logger?: Logger;
  }) {
    super();
    this.gatewayId = o.gatewayId;
    this.topics = o.topics;
    this.conn = o.conn;
    this.journal = o.journal;
    this.maxInflight = o.maxInflight;
    this.log = o.logger ?? silentLogger;
  }

  start(): void {
    this.conn.on('up', (up: Up) => this.onUp(up));
    this.conn.on('down', (err) => {
      this.inflight.clear();
      this.emit('disconnected', err);
    });
    this.conn.on('message', (topic: string, payload: Buffer) => {
      const command = this.commandOf(topic, payload);
      if (command) this.emit('command', command);
    });
    this.journal.on('durable', this.onDurable);
  }

  private onUp(up: Up): void {
    this.window = Math.max(1, Math.min(this.maxInflight, up.receiveMaximum));
    this.inflight.clear();
    // Everything still unacknowledged goes again, in journal order, before new alerts.
    this.pending = this.journal.unacked(MQTT_SINK).map((entry) => ({ entry, replayed: true }));
    this.head = 0;
    this.queued.clear();
    for (const p of this.pending) this.queued.add(p.entry.seq);
    this.log.info(
      { url: this.conn.url, protocolVersion: up.protocolVersion, replay: this.pending.length },
      'MQTT connected',
    );
    this.emit('connected', up);
    void this.conn.publish(this.topics.gatewayStatus, ONLINE, RETAINED).catch(() => {});
    this.pump();
    void this.conn.subscribe({ [this.topics.allCommands]: { qos: 1 } }).catch(() => {});
    for (const [id, b] of this.boards) this.announce(id, b.online);
  }

  // Board status and latest state, retained: what a consumer that just (re)started needs.
  private announce(board: string, online: boolean): void {
    if (!this.conn.connected) return;
    void this.conn
      .publish(this.topics.boardStatus(board), online ? ONLINE : OFFLINE, RETAINED)
      .catch(() => {});
    const state = this.boards.get(board)?.state;
    if (state) {
      void this.conn
        .publish(this.topics.boardState(board), statePayload(this.gatewayId, board, state), RETAINED)
        .catch(() => {});
    }
  }

  // A new durable alert: while disconnected it just waits in the journal, and the replay at the next connect sends it.
  private enqueue(entry: JournalEntry): void {
    if (entry.ackedBy.has(MQTT_SINK) || this.inflight.has(entry.seq) || this.queued.has(entry.seq)) return;
    if (!this.conn.connected) return;
    this.pending.push({ entry, replayed: false });
    this.queued.add(entry.seq);
    this.pump();
  }

  private pump(): void {
    while (this.conn.connected && this.inflight.size < this.window && this.head < this.pending.length) {
      const { entry, replayed } = this.pending[this.head++]!;
      this.queued.delete(entry.seq);
      if (entry.ackedBy.has(MQTT_SINK) || this.inflight.has(entry.seq)) continue;
      this.send(entry, replayed);
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private send(entry: JournalEntry, replayed: boolean): void {
    const { alert } = entry;
    this.inflight.add(entry.seq);
    this.conn
      .publish(this.topics.boardAlert(alert.board), alertPayload(this.gatewayId, alert), {
        qos: 1,
        userProperties: { 'alert-id': alert.id },
      })
      .then(
        () => {
          this.inflight.delete(entry.seq);
          this.journal.ack(entry.seq, MQTT_SINK);
          this.deliveredCount++;
          const delivered: Delivered = {
            alert,
            seq: entry.seq,
            journaledAt: entry.journaledAt,
            ackedAt: Date.now(),
            replayed,
          };
          this.emit('delivered', delivered);
          this.pump();
        },
        // The connection dropped before PUBACK: the entry stays unacked and goes again on reconnect.
        () => this.inflight.delete(entry.seq),
      );
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  get deliveredTotal(): number {
    return this.deliveredCount;
  }

  boardConfigured(board: BoardInfo): void {
    if (this.boards.has(board.id)) return;
    this.boards.set(board.id, { online: false });
    this.announce(board.id, false);
  }

  boardOnline(board: BoardInfo): void {
    const b = this.boards.get(board.id) ?? {};
    this.boards.set(board.id, { ...b, online: true });
    this.announce(board.id, true);
  }

  boardLost(board: string): void {
    const b = this.boards.get(board);
    if (!b) return;
    b.online = false;
    if (this.conn.connected)
      void this.conn.publish(this.topics.boardStatus(board), OFFLINE, RETAINED).catch(() => {});
  }

  boardState(board: string, state: BoardState): void {
    const b = this.boards.get(board) ?? { online: false };
    b.state = state;
    this.boards.set(board, b);
    if (this.conn.connected)
      void this.conn
        .publish(this.topics.boardState(board), statePayload(this.gatewayId, board, state), RETAINED)
        .catch(() => {});
  }

  /** Retained on tinygate/<gateway>/diagnostics: uptime, alerts the journal still holds for the broker, broker trouble. */
  diagnostics(d: GatewayDiagnostics): void {
    if (!this.conn.connected) return;
    const e = this.conn.lastError;
    const payload = {
      v: PAYLOAD_VERSION,
      gateway: this.gatewayId,
      uptimeS: d.uptimeS,
      unsentAlerts: d.journal.unackedBySink[MQTT_SINK] ?? 0,
      connectAttempts: this.conn.attempts,
      lastBrokerError: e ? e.message : null,
      ts: Date.now(),
    };
    void this.conn.publish(this.topics.gatewayDiagnostics, JSON.stringify(payload), RETAINED).catch(() => {});
  }

  /** The answer to a board command, on tinygate/<gateway>/<board>/cmd/result (not retained). */
  commandResult(board: string, result: Record<string, unknown>): void {
    if (!this.conn.connected) return;
    void this.conn
      .publish(this.topics.commandResult(board), JSON.stringify(result), { qos: 1, retain: false })
      .catch(() => {});
  }

  // tinygate/<gateway>/<board>/cmd/<command> with a JSON object (or nothing); anything else is not a command.
  private commandOf(topic: string, payload: Buffer): BoardCommand | null {
    const prefix = this.topics.allCommands.split('+')[0]!;
    if (!topic.startsWith(prefix)) return null;
    const [board, cmd, command] = topic.slice(prefix.length).split('/');
    if (!board || cmd !== 'cmd' || !command || command === 'result') return null;
    let body: unknown = {};
    const text = payload.toString('utf8').trim();
    try {
      if (text) body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      this.commandResult(board, {
        command,
        ok: false,
        error: {
          code: 'COMMAND_INVALID',
          message: `the ${command} command's payload is not a JSON object: ${text.slice(0, 80)}`,
        },
      });
      return null;
    }
    return { board, command, payload: body as Record<string, unknown> };
  }

  status(): SinkStatus {
    return connectionStatus(this.name, this.conn, {
      delivered: this.deliveredCount,
      pending: this.journal.unacked(MQTT_SINK).length,
    });
  }

  /** Give unacknowledged alerts up to `drainMs` to reach the broker, then mark boards and the gateway offline. */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    this.journal.off('durable', this.onDurable);
    if (!this.conn.connected) return;
    const deadline = Date.now() + (options.drainMs ?? 2000);
    while (this.journal.unacked(MQTT_SINK).length > 0 && Date.now() < deadline && this.conn.connected)
      await new Promise((r) => setTimeout(r, 20));
    const offline = [...this.boards.keys()].map((b) =>
      this.conn.publish(this.topics.boardStatus(b), OFFLINE, RETAINED).catch(() => {}),
    );
    offline.push(this.conn.publish(this.topics.gatewayStatus, OFFLINE, RETAINED).catch(() => {}));
    await withTimeout(Promise.all(offline), 2000);
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}
