import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Alert } from '../detect/alert.js';
import type { ManagedConnection, Up } from './connection.js';
import { type Logger, silentLogger } from './logger.js';
import {
  ACKNOWLEDGE_METRIC,
  AliasTable,
  alertMetricValues,
  BDSEQ_METRIC,
  boardMetricDefs,
  decodePayload,
  encodePayload,
  NEXT_SERVER_METRIC,
  ndeathPayload,
  QUALITY_GOOD,
  QUALITY_PROPERTY,
  REBIRTH_METRIC,
  RELEARN_METRIC,
  type SparkplugTopics,
  sensorMetricName,
  sensorQuality,
  sparkplugTopics,
  stateMetricValues,
  THRESHOLD_METRIC,
} from './sparkplug-payloads.js';
import { withoutMetricDatatypes } from './sparkplug-strip.js';
import type { BoardInfo, BoardState } from './types.js';

export interface SparkplugNodeOptions {
  groupId: string;
  edgeNodeId: string;
  /** When set, births wait until this host application's STATE says online. */
  primaryHostId?: string;
  /** false: DDATA and NDATA leave metric datatypes out, as the spec prefers (default true). */
  dataDatatypes?: boolean;
  /** File that keeps the last bdSeq across restarts. */
  bdSeqFile: string;
  version: string;
  logger?: Logger;
  /** A host wrote a device's writable metric: re-learn, acknowledge, or the threshold. */
  onCommand?: (c: {
    board: string;
    command: 'learn' | 'ack' | 'threshold';
    payload: Record<string, unknown>;
  }) => void;
  /** A board's DBIRTH went out: alerts held for it can now be sent (as historical). */
  onDeviceBorn?: (board: string) => void;
}

interface BoardEntry {
  info: BoardInfo;
  online: boolean;
  born: boolean;
  state?: BoardState;
  /** The latest alert sent for it: a birth carries it (Alert/* are not born null after a rebirth). */
  lastAlert?: Alert;
  /** Last value sent per metric name, so DDATA carries only what changed. */
  sent: Map<string, unknown>;
  /** Last quality sent per sensor metric (Good unless a Quality property said otherwise). */
  sentQuality: Map<string, number>;
}

type MetricOut = {
  alias: number;
  type: string;
  value: unknown;
  timestamp: number;
  isHistorical?: boolean;
  properties?: Record<string, { type: string; value: unknown }>;
};

/** The gateway's own figures, node metrics of the edge node. */
export interface NodeInfo {
  uptimeS: number;
  unsentAlerts: number;
}
const NODE_INFO: { key: keyof NodeInfo; name: string }[] = [
  { key: 'uptimeS', name: 'Node Info/Uptime s' },
  { key: 'unsentAlerts', name: 'Node Info/Alerts not yet delivered' },
];

/**
 * A Sparkplug B 3.0 edge node on its own MQTT session: NDEATH as the will (QoS 1, bdSeq persisted and
 * incremented per CONNECT), NCMD subscription before NBIRTH, seq 0 on NBIRTH then +1 (mod 256) per message,
 * one Sparkplug device per board (DBIRTH with every metric and its alias, DDATA by alias only, DDEATH when
 * lost), Rebirth on NCMD, optional wait for the primary host's STATE.
 */
export class SparkplugNode {
  private readonly opts: SparkplugNodeOptions;
  private readonly log: Logger;
  readonly topics: SparkplugTopics;
  private readonly aliases = new AliasTable();
  private readonly boards = new Map<string, BoardEntry>();
  private conn: ManagedConnection | null = null;
  private bdSeq = -1;
  private seq = 0;
  /** Whether the broker read a CONNECT carrying the current bdSeq (then the next CONNECT takes the next). */
  private bdSeqUsed = false;
  private born = false;
  private nodeInfo: NodeInfo = { uptimeS: 0, unsentAlerts: 0 };
  private hostOnline = false;
  private hostTimestamp = -1;

  constructor(opts: SparkplugNodeOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.topics = sparkplugTopics(opts.groupId, opts.edgeNodeId);
  }

  /** The bdSeq of the current (or last) MQTT session; -1 before the first CONNECT. */
  get currentBdSeq(): number {
    return this.bdSeq;
  }

  get isBorn(): boolean {
    return this.born;
  }

  /** Births are held until the configured primary host says online. */
  get waitingForHost(): boolean {
    return this.opts.primaryHostId !== undefined && !this.hostOnline;
  }

  /**
   * Prepare the next CONNECT: the NDEATH will with its bdSeq, persisted before use. bdSeq goes up by one per
   * CONNECT the broker read; an attempt that never reached it (refused, unreachable) keeps the same one.
   */
  async nextWill(): Promise<{ topic: string; payload: Buffer; qos: 1; retain: false }> {
    if (this.bdSeq < 0 || this.bdSeqUsed) {
      const last = this.bdSeq >= 0 ? this.bdSeq : await readBdSeq(this.opts.bdSeqFile);
      this.bdSeq = last === null ? 0 : (last + 1) % 256;
      await writeBdSeq(this.opts.bdSeqFile, this.bdSeq);
      this.bdSeqUsed = false;
    }
    return {
      topic: this.topics.ndeath,
      payload: ndeathPayload(this.bdSeq, Date.now()),
      qos: 1,
      retain: false,
    };
  }

  attach(conn: ManagedConnection): void {
    this.conn = conn;
    conn.on('connect-answered', () => {
      this.bdSeqUsed = true;
    });
    conn.on('up', (up: Up) => void this.onUp(up));
    conn.on('down', () => {
      this.born = false;
      this.hostOnline = false;
      for (const b of this.boards.values()) b.born = false;
    });
    conn.on('message', (topic: string, payload: Buffer) => this.onMessage(topic, payload));
  }

  private async onUp(_up: Up): Promise<void> {
    const conn = this.conn!;
    const filters: Record<string, { qos: 1 }> = {
      [this.topics.ncmd]: { qos: 1 },
      [this.topics.dcmdAll]: { qos: 1 },
    };
    if (this.opts.primaryHostId) {
      filters[this.topics.state(this.opts.primaryHostId)] = { qos: 1 };
      // A host on Sparkplug 2.2 announces itself here instead.
      filters[this.topics.legacyState(this.opts.primaryHostId)] = { qos: 1 };
    }
    try {
      await conn.subscribe(filters);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'sparkplug: subscribe failed; will retry on reconnect');
      return;
    }
    if (!this.opts.primaryHostId) this.birth();
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === this.topics.ncmd) {
      let rebirth = false;
      let nextServer = false;
      try {
        const metrics = decodePayload(payload).metrics ?? [];
        rebirth = metrics.some((m) => m.name === REBIRTH_METRIC && m.value === true);
        nextServer = metrics.some((m) => m.name === NEXT_SERVER_METRIC && m.value === true);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'sparkplug: undecodable NCMD ignored');
      }
      if (nextServer && this.born) {
        this.endSession('next server requested', true);
        return;
      }
      if (rebirth && this.born) {
        this.log.info({ bdSeq: this.bdSeq }, 'sparkplug: rebirth requested');
        this.birth();
      }
      return;
    }
    const dcmd = this.topics.dcmdAll.slice(0, -1);
    if (topic.startsWith(dcmd)) {
      this.onDeviceCommand(topic.slice(dcmd.length), payload);
      return;
    }
    if (this.opts.primaryHostId && topic === this.topics.state(this.opts.primaryHostId))
      this.onHostState(payload);
    else if (this.opts.primaryHostId && topic === this.topics.legacyState(this.opts.primaryHostId))
      this.onLegacyHostState(payload);
  }

  // Sparkplug 2.2: "ONLINE" or "OFFLINE", no timestamp (the broker's order is the only order there is).
  private onLegacyHostState(payload: Buffer): void {
    const text = payload.toString('utf8').trim();
    if (text !== 'ONLINE' && text !== 'OFFLINE') {
      if (text)
        this.log.warn(
          { payload: text.slice(0, 40) },
          'sparkplug: 2.2 STATE payload is not ONLINE or OFFLINE; ignored',
        );
      return;
    }
    this.hostStateIs(text === 'ONLINE');
  }

  // DCMD: `Device Control/Relearn` = true makes the board learn afresh, `Device Control/Acknowledge` = true
  // acknowledges its latest machine alarm, `Threshold` (by name or alias) sets the operator's threshold;
  // any other metric is not writable.
  private onDeviceCommand(board: string, payload: Buffer): void {
    let metrics: { name?: string | null; alias?: unknown; value?: unknown }[];
    try {
      metrics = decodePayload(payload).metrics ?? [];
    } catch (err) {
      this.log.warn({ err: (err as Error).message, board }, 'sparkplug: undecodable DCMD ignored');
      return;
    }
    for (const m of metrics) {
      const name = m.name ?? (m.alias == null ? undefined : this.aliases.nameOf(board, Number(m.alias)));
      if (name === RELEARN_METRIC && m.value === true)
        this.opts.onCommand?.({ board, command: 'learn', payload: {} });
      else if (name === ACKNOWLEDGE_METRIC && m.value === true)
        this.opts.onCommand?.({ board, command: 'ack', payload: {} });
      else if (name === THRESHOLD_METRIC)
        this.opts.onCommand?.({ board, command: 'threshold', payload: { value: m.value } });
      else if (name !== RELEARN_METRIC && name !== ACKNOWLEDGE_METRIC)
        this.log.warn(
          { board, metric: name ?? null, alias: m.alias ?? null },
          `sparkplug: DCMD for ${board} writes ${name ?? `alias ${String(m.alias)}`}, which is not writable; ignored`,
        );
    }
  }

  private onHostState(payload: Buffer): void {
    let state: { online?: unknown; timestamp?: unknown };
    try {
      state = JSON.parse(payload.toString('utf8'));
    } catch {
      this.log.warn({}, 'sparkplug: STATE payload is not JSON; ignored');
      return;
    }
    if (typeof state.online !== 'boolean' || typeof state.timestamp !== 'number') return;
    if (state.timestamp < this.hostTimestamp) return; // an older STATE delivered late
    this.hostTimestamp = state.timestamp;
    this.hostStateIs(state.online);
  }

  private hostStateIs(online: boolean): void {
    this.hostOnline = online;
    if (online && !this.born) {
      this.birth();
    } else if (!online && this.born) {
      // The primary host went away: die and start the session over, so births wait for it again.
      this.endSession('primary host offline', false);
    }
  }

  /** One NDEATH, then a new session: on the same server, or with `next` on the next of `sparkplug.servers`. */
  private endSession(why: string, next: boolean): void {
    const conn = this.conn!;
    this.log.info(
      { host: this.opts.primaryHostId, server: conn.url },
      `sparkplug: ${why}; NDEATH and reconnect${next ? ' to the next server' : ''}`,
    );
    this.born = false;
    const restart = (o: { withWill?: boolean }) => (next ? conn.nextServer(o) : conn.restart(o));
    // One NDEATH: on MQTT 5 the broker sends the will (DISCONNECT 0x04); on 3.1.1 we send it and then
    // disconnect cleanly, so the will is discarded (dropping the link had sent both).
    if (conn.protocolVersion === 5) restart({ withWill: true });
    else
      void conn
        .publish(this.topics.ndeath, ndeathPayload(this.bdSeq, Date.now()), { qos: 1 })
        .catch(() => {})
        .finally(() => restart({}));
  }

  // DDATA/NDATA: births declare each datatype; data repeats it unless configured not to.
  private dataPayload(p: Parameters<typeof encodePayload>[0]): Buffer {
    const bytes = encodePayload(p);
    return this.opts.dataDatatypes === false ? Buffer.from(withoutMetricDatatypes(bytes)) : bytes;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % 256;
    return this.seq;
  }

  // QoS 0 (the spec's rule for every Sparkplug message but NDEATH): resolves once written to the broker.
  private send(topic: string, payload: Buffer): Promise<void> {
    const sent = this.conn
      ? this.conn.publish(topic, payload, { qos: 0 })
      : Promise.reject(new Error('no connection'));
    sent.catch(() => {});
    return sent;
  }

  /**
   * The gateway's own figures (uptime, alerts the journal still holds for MQTT) as node metrics: born in
   * NBIRTH, and in NDATA (by alias) when they change.
   */
  nodeData(info: NodeInfo): void {
    const changed = NODE_INFO.filter((m) => this.nodeInfo[m.key] !== info[m.key]);
    this.nodeInfo = { ...info };
    if (!this.born || !this.conn?.connected || changed.length === 0) return;
    const now = Date.now();
    this.send(
      this.topics.ndata,
      this.dataPayload({
        timestamp: now,
        seq: this.nextSeq(),
        metrics: changed.map((m) => ({
          alias: this.aliases.alias(null, m.name),
          type: 'Int64',
          value: info[m.key],
          timestamp: now,
        })) as never,
      }),
    );
  }

  /** NBIRTH (seq 0, same bdSeq as the CONNECT's will) then a DBIRTH per online board. */
  private birth(): void {
    if (!this.conn?.connected) return;
    const now = Date.now();
    this.seq = 0;
    this.send(
      this.topics.nbirth,
      encodePayload({
        timestamp: now,
        seq: 0,
        metrics: [
          // No alias on bdSeq: hosts match it by name against the NDEATH, which carries no aliases.
          {
            name: BDSEQ_METRIC,
            type: 'Int64',
            value: this.bdSeq,
            timestamp: now,
          },
          // No alias on Rebirth: a host must be able to command it knowing only its name.
          { name: REBIRTH_METRIC, type: 'Boolean', value: false, timestamp: now },
          { name: NEXT_SERVER_METRIC, type: 'Boolean', value: false, timestamp: now },
          {
            name: 'Properties/Software',
            alias: this.aliases.alias(null, 'Properties/Software'),
            type: 'String',
            value: `tinygate ${this.opts.version}`,
            timestamp: now,
          },
          ...NODE_INFO.map((m) => ({
            name: m.name,
            alias: this.aliases.alias(null, m.name),
            type: 'Int64' as const,
            value: this.nodeInfo[m.key],
            timestamp: now,
          })),
        ],
      }),
    );
    this.born = true;
    for (const b of this.boards.values()) if (b.online) this.deviceBirth(b);
  }

  private deviceBirth(b: BoardEntry): void {
    const now = Date.now();
    const defs = boardMetricDefs(b.info, b.state, b.lastAlert);
    b.sent.clear();
    b.sentQuality.clear();
    for (const d of defs) if (d.value !== null) b.sent.set(d.name, d.value);
    for (const s of b.info.sensors)
      b.sentQuality.set(sensorMetricName(s.name), b.state ? sensorQuality(b.state, s.name) : QUALITY_GOOD);
    this.send(
      this.topics.dbirth(b.info.id),
      encodePayload({
        timestamp: now,
        seq: this.nextSeq(),
        metrics: defs.map((d) => ({
          name: d.name,
          ...(d.noAlias ? {} : { alias: this.aliases.alias(b.info.id, d.name) }),
          type: d.type,
          value: d.value,
          timestamp: now,
          ...(d.properties ? { properties: d.properties } : {}),
        })),
      }),
    );
    b.born = true;
    this.opts.onDeviceBorn?.(b.info.id);
  }

  private deviceData(b: BoardEntry, metrics: MetricOut[], timestamp: number): Promise<void> | null {
    if (!this.born || !b.born || metrics.length === 0) return null;
    // DDATA names metrics by alias only (Sparkplug 3.0 tck-id-payloads-alias-data-cmd-requirement).
    return this.send(
      this.topics.ddata(b.info.id),
      this.dataPayload({ timestamp, seq: this.nextSeq(), metrics: metrics as never }),
    );
  }

  boardOnline(info: BoardInfo): void {
    const known = this.boards.get(info.id);
    const b: BoardEntry = known ?? {
      info,
      online: true,
      born: false,
      sent: new Map(),
      sentQuality: new Map(),
    };
    b.info = info;
    b.online = true;
    this.boards.set(info.id, b);
    if (this.born) this.deviceBirth(b);
  }

  boardLost(id: string): void {
    const b = this.boards.get(id);
    if (!b) return;
    b.online = false;
    if (this.born && b.born) {
      this.send(this.topics.ddeath(id), encodePayload({ timestamp: Date.now(), seq: this.nextSeq() }));
    }
    b.born = false;
  }

  state(board: string, state: BoardState): void {
    const b = this.boards.get(board);
    if (!b) return;
    b.state = state;
    const changed: MetricOut[] = [];
    const quality = new Map(
      b.info.sensors.map((s) => [sensorMetricName(s.name), sensorQuality(state, s.name)]),
    );
    for (const [name, type, value] of stateMetricValues(b.info, state)) {
      const q = quality.get(name);
      // A sensor's metric goes when its value or its quality changed; while bad it says so each time.
      const qualityChanged = q !== undefined && b.sentQuality.get(name) !== q;
      if (b.sent.get(name) === value && !qualityChanged) continue;
      changed.push({
        alias: this.aliases.alias(board, name),
        type,
        value,
        timestamp: state.ts,
        ...(q !== undefined && (qualityChanged || q !== QUALITY_GOOD)
          ? { properties: { [QUALITY_PROPERTY]: { type: 'Int32', value: q } } }
          : {}),
      });
    }
    if (!this.born || !b.born) return;
    for (const [name, , value] of stateMetricValues(b.info, state)) b.sent.set(name, value);
    for (const [name, q] of quality) b.sentQuality.set(name, q);
    this.deviceData(b, changed, Date.now());
  }

  /**
   * Alert metrics as DDATA; `historical` for alerts sent after a birth rather than live. Resolves once written
   * to the broker; null when the board has no birth in place (the caller holds the alert until onDeviceBorn).
   */
  alert(alert: Alert, historical: boolean): Promise<void> | null {
    const b = this.boards.get(alert.board);
    if (!this.born || !b?.born || !this.conn?.connected) return null;
    if (!b.lastAlert || alert.ts >= b.lastAlert.ts) b.lastAlert = alert;
    const metrics = alertMetricValues(alert).map(([name, type, value]) => ({
      alias: this.aliases.alias(alert.board, name),
      type,
      value,
      timestamp: alert.ts,
      ...(historical ? { isHistorical: true } : {}),
    }));
    return this.deviceData(b, metrics, Date.now());
  }

  /**
   * An intentional disconnect. On MQTT 5, DISCONNECT with reason 0x04 so the broker sends the NDEATH will
   * (Sparkplug 3.0 requires it); on 3.1.1, which has no such code, NDEATH is published first.
   */
  async close(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    if (conn.connected && conn.protocolVersion === 5) {
      this.born = false;
      await conn.end({ withWill: true });
      return;
    }
    if (conn.connected && this.bdSeq >= 0) {
      await conn
        .publish(this.topics.ndeath, ndeathPayload(this.bdSeq, Date.now()), { qos: 1 })
        .catch(() => {});
    }
    this.born = false;
    await conn.end();
  }
}

async function readBdSeq(file: string): Promise<number | null> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n >= 0 && n <= 255 ? n : null;
  } catch {
    return null;
  }
}

async function writeBdSeq(file: string, bdSeq: number): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${bdSeq}\n`, { flush: true });
  await rename(tmp, file);
}
