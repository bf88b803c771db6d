// Home Assistant discovery on the gateway's main MQTT connection: the gateway and each board as HA devices,
// announced again when HA restarts, and removed from HA once a board leaves the config.
import type { ManagedConnection } from './connection.js';
import {
  boardDeviceId,
  boardDiscovery,
  type Discovery,
  gatewayDeviceId,
  gatewayDiscovery,
  type HaContext,
  isOwnDiscovery,
} from './home-assistant.js';
import { type Logger, silentLogger } from './logger.js';
import { ONLINE } from './payloads.js';
import { connectionStatus, type Sink, type SinkStatus } from './sink.js';
import type { BoardInfo } from './types.js';

const RETAINED = { qos: 1 as const, retain: true };
const RETAINED_SETTLE_MS = 300;

/** Takes no alerts itself: HA's alert event entity reads the JSON sink's alert topic. */
export class HomeAssistantSink implements Sink {
  readonly name = 'home-assistant';
  readonly takesAlerts = false;
  private readonly ha: HaContext;
  private readonly conn: ManagedConnection;
  private readonly log: Logger;
  private readonly boards = new Map<string, BoardInfo>();
  /** HA device ids of the gateway and the boards it runs (null until it says): others of ours are retired. */
  private configured: Set<string> | null = null;
  private seenDiscovery: [string, Buffer][] = [];
  private announced = 0;

  constructor(o: { ha: HaContext; conn: ManagedConnection; logger?: Logger }) {
    this.ha = o.ha;
    this.conn = o.conn;
    this.log = o.logger ?? silentLogger;
  }

  start(): void {
    this.conn.on('up', () => void this.onUp());
    this.conn.on('message', (topic: string, payload: Buffer) => {
      if (topic.startsWith(`${this.ha.prefix}/device/`)) this.retiredBoard(topic, payload);
      else if (topic === this.ha.statusTopic && payload.toString() === ONLINE) {
        this.log.info({}, 'Home Assistant is online: announcing devices again');
        this.announceAll();
      }
    });
  }

  // Retained discovery this gateway announced before is read first: a board no longer configured, or a device
  // under an id an older version gave it, is removed before the announcement, so HA can give the new entities
  // the entity ids the old ones had.
  private async onUp(): Promise<void> {
    void this.conn.subscribe({ [this.ha.statusTopic]: { qos: 1 } }).catch(() => {});
    try {
      await this.conn.subscribe({ [`${this.ha.prefix}/device/+/config`]: { qos: 1 } });
      // The broker sends retained messages right after SUBACK, with no end marker: give them a moment.
      await new Promise((r) => setTimeout(r, RETAINED_SETTLE_MS));
    } catch {
      // Not connected any more: the next 'up' announces.
    }
    this.announceAll();
  }

  private announceAll(): void {
    this.publish(gatewayDiscovery(this.ha));
    for (const info of this.boards.values()) this.publish(boardDiscovery(this.ha, info));
  }

  private publish(d: Discovery): void {
    if (!this.conn.connected) return;
    this.announced++;
    void this.conn.publish(d.topic, JSON.stringify(d.payload), RETAINED).catch(() => {});
  }

  /** The dashboard's address for HA's device pages; announced again when it changes. */
  setConfigurationUrl(url: string): void {
    if (this.ha.configurationUrl === url) return;
    this.ha.configurationUrl = url;
    this.announceAll();
  }

  boardConfigured(board: BoardInfo): void {
    if (this.boards.has(board.id)) return;
    this.boardOnline(board);
  }

  boardOnline(board: BoardInfo): void {
    this.boards.set(board.id, board);
    this.publish(boardDiscovery(this.ha, board));
  }

  configuredBoards(ids: string[]): void {
    this.configured = new Set([
      gatewayDeviceId(this.ha.gateway),
      ...ids.map((b) => boardDeviceId(this.ha.gateway, b)),
    ]);
    const seen = this.seenDiscovery;
    this.seenDiscovery = [];
    for (const [topic, payload] of seen) this.retiredBoard(topic, payload);
  }

  // A retained device discovery: if it is one of ours that is not the gateway or a configured board under
  // today's ids, publish it empty (HA removes the device).
  private retiredBoard(topic: string, payload: Buffer): void {
    if (payload.length === 0) return;
    if (!this.configured) {
      this.seenDiscovery.push([topic, payload]);
      return;
    }
    let doc: { dev?: { ids?: string[] } };
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const id = doc.dev?.ids?.[0];
    if (!id || this.configured.has(id) || !isOwnDiscovery(doc, this.ha.topics)) return;
    this.log.info(
      { device: id },
      `Home Assistant: removing ${id}, a board no longer in the config or a device id of an older version`,
    );
    void this.conn.publish(topic, '', RETAINED).catch(() => {});
  }

  /** `delivered`: discovery messages published (it takes no alerts). */
  status(): SinkStatus {
    return connectionStatus(this.name, this.conn, {
      delivered: this.announced,
      pending: 0,
      target: `${this.conn.url} (${this.ha.prefix}/…)`,
    });
  }

  async close(): Promise<void> {}
}
