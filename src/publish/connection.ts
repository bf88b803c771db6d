import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { TinygateError } from '../errors/index.js';
import { Backoff } from './backoff.js';
import { describeConnectionError, UNSUPPORTED_PROTOCOL } from './connection-errors.js';
import { type Logger, silentLogger } from './logger.js';

export interface Will {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1;
  retain: boolean;
}

export interface ConnectionOptions {
  url: string;
  /** Servers to go through with nextServer() (Sparkplug's Next Server); default just `url`. */
  servers?: string[];
  clientId: string;
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  reconnect: { minMs: number; maxMs: number };
  /** Called before every CONNECT; its will goes into that CONNECT (Sparkplug's bdSeq changes per connect). */
  beforeConnect?: () => Will | undefined | Promise<Will | undefined>;
  keepaliveSeconds?: number;
  logger?: Logger;
  /** Names this connection in logs ("alerts", "sparkplug"). */
  name: string;
}

export interface Up {
  protocolVersion: 4 | 5;
  /** Most QoS 1/2 publishes the broker accepts in flight (MQTT 5 Receive Maximum; 65535 when unsaid). */
  receiveMaximum: number;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  /** MQTT 5 user properties; left out on MQTT 3.1.1. */
  userProperties?: Record<string, string>;
}

/**
 * One MQTT session kept alive: MQTT 5 first, MQTT 3.1.1 when the broker refuses 5 (aedes does),
 * retries with backoff on any failure (wrong password, TLS, unreachable), and a clean slate per connection:
 * messages in flight when it drops are failed back to the caller, who owns replay (the journal).
 * Events: `up` (Up), `down` (TinygateError | null), `message` (topic, payload).
 */
export class ManagedConnection extends EventEmitter {
  private readonly opts: ConnectionOptions;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;
  private connackSeen = false;
  private version: 4 | 5 = 5;
  private lastLogged = '';
  private serverIndex = 0;
  /** The server the current client was made for. */
  private clientUrl = '';
  /** Set when the broker refused MQTT 5: the next attempt (3.1.1) goes out at once. */
  private fallbackNow = false;
  /** Why the last attempt failed; null once connected. */
  lastError: TinygateError | null = null;
  /** CONNECT attempts so far. */
  attempts = 0;

  constructor(opts: ConnectionOptions) {
    super();
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.backoff = new Backoff(opts.reconnect.minMs, opts.reconnect.maxMs);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get protocolVersion(): 4 | 5 {
    return this.version;
  }

  /** Start connecting in the background; never throws for broker trouble (see `down` and lastError). */
  start(): void {
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    this.timer = null;
    if (this.ended) return;
    let will: Will | undefined;
    try {
      will = await this.opts.beforeConnect?.();
    } catch (err) {
      // E.g. the Sparkplug bdSeq file cannot be written: try again later rather than connect without it.
      this.log.error(
        { connection: this.opts.name, err: (err as Error).message },
        'cannot prepare the MQTT connection',
      );
      this.timer = setTimeout(() => void this.attempt(), this.backoff.next());
      return;
    }
    if (this.ended) return;
    this.attempts++;
    this.connackSeen = false;
    if (this.client && this.clientUrl !== this.url) {
      // nextServer(): the old client is done with; a client is made for one server.
      this.client.removeAllListeners();
      this.client.on('error', () => {});
      this.client.end(true);
      this.client = null;
    }
    if (!this.client) {
      this.clientUrl = this.url;
      this.client = mqtt.connect(this.url, this.clientOptions(will));
      this.wire(this.client);
      this.client.connect();
    } else {
      this.client.options.protocolVersion = this.version;
      this.client.options.will = will;
      // reconnect() starts with empty in-memory stores: the journal, not mqtt.js, replays what was in flight.
      this.client.reconnect();
    }
  }

  private clientOptions(will: Will | undefined): IClientOptions {
    return {
      clientId: this.opts.clientId,
      username: this.opts.username,
      password: this.opts.password,
      protocolVersion: this.version,
      clean: true,
      keepalive: this.opts.keepaliveSeconds ?? 30,
      connectTimeout: 10_000,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      manualConnect: true,
      will,
      ...(this.opts.tls ? { ...this.opts.tls, rejectUnauthorized: true } : {}),
    };
  }

  private wire(client: MqttClient): void {
    client.on('connect', (packet) => {
      this.connackSeen = true;
      this.emit('connect-answered');
      this.backoff.reset();
      if (this.lastError)
        this.log.info({ url: this.url, connection: this.opts.name }, 'MQTT connected again');
      this.lastError = null;
      this.lastLogged = '';
      const receiveMaximum = packet.properties?.receiveMaximum ?? 65535;
      this.emit('up', { protocolVersion: this.version, receiveMaximum } satisfies Up);
    });
    client.on('error', (err) => {
      const code = (err as { code?: unknown }).code;
      // A numeric code is the broker's CONNACK refusal: it read our CONNECT (a socket error has a string code).
      if (typeof code === 'number') this.emit('connect-answered');
      if (this.version === 5 && typeof code === 'number' && UNSUPPORTED_PROTOCOL.has(code)) {
        this.log.info(
          { url: this.url, connection: this.opts.name },
          'broker refused MQTT 5; using MQTT 3.1.1',
        );
        this.version = 4;
        this.fallbackNow = true;
        return;
      }
      this.lastError = describeConnectionError(this.url, err, this.opts.username);
      const key = `${this.lastError.code}:${this.lastError.message}`;
      if (key !== this.lastLogged) {
        this.lastLogged = key;
        this.log.warn(
          {
            url: this.url,
            connection: this.opts.name,
            code: this.lastError.code,
            hint: this.lastError.hint,
          },
          this.lastError.message,
        );
      }
    });
    client.on('close', () => this.onClose(client));
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
  }

  private onClose(client: MqttClient): void {
    // Fail whatever was in flight back to its callers now, so they can replay it on the next connection.
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    const wasUp = this.connackSeen;
    this.connackSeen = false;
    if (wasUp) this.emit('down', this.lastError);
    if (this.ended || this.timer) return;
    const delay = this.fallbackNow ? 0 : this.backoff.next();
    this.fallbackNow = false;
    this.log.debug({ url: this.url, connection: this.opts.name, delayMs: delay }, 'MQTT reconnect scheduled');
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('not connected'));
    const publishOptions: IClientPublishOptions = { qos: options.qos, retain: options.retain ?? false };
    if (this.version === 5 && options.userProperties) {
      publishOptions.properties = { userProperties: options.userProperties };
    }
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, publishOptions, (err) => (err ? reject(err) : resolve()));
    });
  }

  subscribe(filters: Record<string, { qos: 0 | 1 }>): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.subscribe(filters, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * End this session cleanly and connect again (a new session). DISCONNECT makes the broker discard the
   * will, unless (MQTT 5) `withWill` asks for reason 0x04 and the broker sends it.
   */
  restart(o: { withWill?: boolean } = {}): void {
    const client = this.client;
    if (!client?.connected) return;
    client.end(false, o.withWill && this.version === 5 ? { reasonCode: 0x04 } : {});
  }

  /** The server in use (or to be used next). */
  get url(): string {
    const list = this.opts.servers?.length ? this.opts.servers : [this.opts.url];
    return list[this.serverIndex % list.length]!;
  }

  /**
   * Go on to the next server of the list (Sparkplug's `Node Control/Next Server`): disconnect as restart()
   * does, and the next connection goes to that server. Returns it.
   */
  nextServer(o: { withWill?: boolean } = {}): string {
    this.serverIndex++;
    this.restart(o);
    return this.url;
  }

  /** Drop the connection as a network failure would (no DISCONNECT, so the broker sends the will). */
  drop(): void {
    this.client?.stream?.destroy();
  }

  /**
   * Disconnect cleanly and stop retrying. DISCONNECT makes the broker discard the will, unless (MQTT 5)
   * `withWill` asks for reason code 0x04, "disconnect with will message", and the broker sends it.
   */
  async end(o: { withWill?: boolean } = {}): Promise<void> {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const force = !client.connected;
      const t = setTimeout(() => client.end(true, () => resolve()), 2000);
      const packet = o.withWill && this.version === 5 ? { reasonCode: 0x04 } : {};
      client.end(force, packet, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
