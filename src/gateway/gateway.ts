import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { findBoard } from '../boards/index.js';
import { type Alert, Int8AutoencoderScorer, type LiveDecision } from '../detect/index.js';
import { TinygateError } from '../errors/index.js';
import {
  createPublisher,
  type Logger,
  type Publisher,
  type PublisherStatus,
  silentLogger,
} from '../publish/index.js';
import { AdcSpec, channelsOfAll, type StateChange } from '../sensing/index.js';
import { BoardRunner, type BoardStatus, type TracePoint } from './board-runner.js';
import { BoardScorer } from './board-scorer.js';
import { type BoardConfig, type GatewayConfig, resolveFrom } from './config.js';
import { type Deployment, deployModel } from './deploy.js';
import { type DetectionPlan, forgetModels, planDetection } from './detection-plan.js';
import { hostTransport, type SerialBoardTransport, serialTransport } from './serial-transports.js';
import { type BoardTransport, jsVirtualTransport } from './transports.js';

/** How often each board's retained state goes to MQTT: dashboards want it live, brokers want it calm. */
const STATE_EVERY_MS = 1000;
/** Alerts kept in memory for live views (the journal keeps them all). */
const RECENT_ALERTS = 200;

export interface GatewayOptions {
  config: GatewayConfig;
  /** Folder relative paths in the config are resolved against (the config file's folder). */
  baseDir: string;
  logger?: Logger;
  /** Opens a board's transport; tests and the demo swap in their own. Default: by the board's config. */
  transportFor?: (
    board: GatewayConfig['boards'][number],
    baseDir: string,
  ) => Promise<BoardTransport> | BoardTransport;
}

export interface GatewayStatus {
  gateway: string;
  startedAt: number;
  uptimeS: number;
  boards: BoardStatus[];
  mqtt: PublisherStatus;
  alerts: { total: number; recent: Alert[] };
}

export interface GatewayEvents {
  state: [StateChange];
  decision: [LiveDecision];
  alert: [Alert];
  trace: [{ board: string; points: TracePoint[] }];
}

/**
 * The running gateway: every configured board read through johnny-five, windows scored, alerts
 * journaled and published, board state and status on MQTT. Runs until `stop()`.
 */
export class Gateway extends EventEmitter<GatewayEvents> {
  readonly config: GatewayConfig;
  readonly publisher: Publisher;
  readonly runners: BoardRunner[];
  private readonly log: Logger;
  private readonly startedAt = Date.now();
  private readonly recent: Alert[] = [];
  private alertsTotal = 0;
  private stateTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(config: GatewayConfig, publisher: Publisher, runners: BoardRunner[], log: Logger) {
    super();
    this.config = config;
    this.publisher = publisher;
    this.runners = runners;
    this.log = log;
  }

  static async start(o: GatewayOptions): Promise<Gateway> {
    const log = o.logger ?? silentLogger;
    const { config } = o;
    const dataDir = resolveFrom(o.baseDir, config.gateway.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const transportFor =
      o.transportFor ?? ((b: BoardConfig, base: string) => defaultTransport(b, base, dataDir));

    const runners: BoardRunner[] = [];
    const transports: BoardTransport[] = [];
    try {
      for (const board of config.boards) {
        const transport = await transportFor(board, o.baseDir);
        transports.push(transport);
        const channels = channelsOfAll(board.sensors, board.adc ?? AdcSpec.parse({}));
        const plan = await planDetection(
          board.id,
          channels,
          board.samplingRateHz,
          board.model ? resolveFrom(o.baseDir, board.model) : undefined,
          board.scorer,
        );
        // Sensors whose checks the config switches off: their windows are always scored.
        plan.checks = plan.checks.map((c) =>
          board.sensorChecks?.[c.sensor] === 'off' ? { ...c, checked: false } : c,
        );
        let runner: BoardRunner | null = null;
        if (board.inference === 'board') {
          plan.scorer = onBoardScorer(
            board,
            plan,
            transport,
            () => runner?.session.openTransport ?? null,
            log,
          );
        }
        runner = new BoardRunner(board, transport, plan, detectorOptions(config, board));
        if (board.model && isSerial(transport))
          runner.deployment = await deploy(board, transport, resolveFrom(o.baseDir, board.model), log);
        runners.push(runner);
      }
    } catch (err) {
      await Promise.allSettled(transports.map((t) => t.close()));
      throw err;
    }
    const mqtt = config.mqtt
      ? resolveMqttPaths(config.mqtt, o.baseDir)
      : { journal: { path: join(dataDir, 'journal') }, embedded: { port: 1883 } };
    const publisher = await createPublisher({ gatewayId: config.gateway.id, config: mqtt, logger: log });
    const gateway = new Gateway(config, publisher, runners, log);
    gateway.wire();
    return gateway;
  }

  status(): GatewayStatus {
    return {
      gateway: this.config.gateway.id,
      startedAt: this.startedAt,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      boards: this.runners.map((r) => r.status()),
      mqtt: this.publisher.status(),
      alerts: { total: this.alertsTotal, recent: [...this.recent] },
    };
  }

  /** Stop reading boards, flush the journal, publish offline and disconnect. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.stateTimer) clearInterval(this.stateTimer);
      await Promise.allSettled(
        this.runners.map(async (r) => {
          await r.stop();
          this.log.info({ board: r.config.id }, `board ${r.config.id} closed`);
        }),
      );
      this.log.info({}, 'boards stopped; closing MQTT (journal flush, offline)');
      await this.publisher.close({ drainMs: 2000 });
      this.log.info({}, 'MQTT closed');
      forgetModels();
    })();
    return this.stopping;
  }

  private wire(): void {
    for (const runner of this.runners) {
      const id = runner.config.id;
      runner.on('state', (change) => {
        this.log.info(
          { board: id, state: change.state, reason: change.reason },
          `board ${id} ${change.state}`,
        );
        if (change.state === 'streaming') this.publisher.boardOnline(boardInfo(runner));
        if (change.state === 'lost') this.publisher.boardLost(id);
        this.emit('state', change);
      });
      runner.on('decision', (d) => this.emit('decision', d));
      runner.on('trace', (t) => this.emit('trace', t));
      runner.on('alert', (alert) => {
        this.alertsTotal++;
        this.recent.unshift(alert);
        this.recent.length = Math.min(this.recent.length, RECENT_ALERTS);
        this.log.warn(
          { alert },
          `alert ${alert.kind} on ${alert.board}/${alert.sensor}: ${alert.message ?? ''}`,
        );
        this.emit('alert', alert);
        this.publisher.publishAlert(alert).catch((err: unknown) => {
          // The journal refused the alert (disk full, closed): nothing else can keep it, so say so loudly.
          this.log.error({ err, alert }, `alert ${alert.id} could not be journaled`);
        });
      });
      runner.start();
    }
    this.stateTimer = setInterval(() => this.publishStates(), STATE_EVERY_MS);
  }

  private publishStates(): void {
    for (const runner of this.runners) {
      const s = runner.status();
      if (s.state !== 'streaming' || s.lastSampleTs === null) continue;
      this.publisher.publishState(s.id, {
        anomaly: s.anomaly,
        score: s.score ?? 0,
        threshold: s.threshold,
        sensors: s.latest,
        ts: Math.round(s.lastSampleTs),
      });
    }
  }
}

/** Paths in the config (journal, TLS files) are relative to the config file, not to where it runs. */
function resolveMqttPaths(m: NonNullable<GatewayConfig['mqtt']>, baseDir: string) {
  return {
    ...m,
    journal: { ...m.journal, path: resolveFrom(baseDir, m.journal.path) },
    ...(m.ca ? { ca: resolveFrom(baseDir, m.ca) } : {}),
    ...(m.cert ? { cert: resolveFrom(baseDir, m.cert) } : {}),
    ...(m.key ? { key: resolveFrom(baseDir, m.key) } : {}),
  };
}

function boardInfo(runner: BoardRunner) {
  const s = runner.status();
  return {
    id: s.id,
    name: s.name,
    model: s.profile,
    sensors: s.channels.map((c) => ({ name: c.name, unit: c.unit, ...deviceClassOf(c.unit) })),
  };
}

function deviceClassOf(unit: string): { deviceClass?: string } {
  if (unit === '°C') return { deviceClass: 'temperature' };
  if (unit === 'Pa') return { deviceClass: 'pressure' };
  if (unit === '%RH') return { deviceClass: 'humidity' };
  return {};
}

function detectorOptions(config: GatewayConfig, board: BoardConfig) {
  const d = config.detector;
  const out: Record<string, unknown> = {};
  if (board.learn) out.learning = { ...board.learn, minWindows: 100 };
  if (d.debounce) out.debounce = d.debounce;
  if (d.sensorDebounce) out.sensorDebounce = d.sensorDebounce;
  if (d.hysteresis) out.hysteresis = d.hysteresis;
  return Object.keys(out).length ? out : undefined;
}

function defaultTransport(board: BoardConfig, baseDir: string, dataDir: string): BoardTransport {
  if (board.port) return serialTransport(board, board.baud ?? findBoard(board.profile).uart.defaultBaud);
  if (board.virtual?.firmware === 'js') return jsVirtualTransport(board, baseDir);
  return hostTransport(board, baseDir, dataDir);
}

function isSerial(t: BoardTransport): t is SerialBoardTransport {
  return typeof (t as Partial<SerialBoardTransport>).portPath === 'function';
}

/**
 * Flash the model folder's int8 conversion when the board's active model differs. A model that does
 * not fit the board's profile stops the start (a config mistake); a board that does not answer is
 * logged and watched anyway — detection runs on the gateway either way.
 */
async function deploy(
  board: BoardConfig,
  transport: SerialBoardTransport,
  modelDir: string,
  log: Logger,
): Promise<Deployment | { error: string }> {
  const profile = findBoard(board.profile);
  try {
    const d = await deployModel({
      boardId: board.id,
      port: await transport.portPath(),
      baudRate: transport.baudRate,
      modelDir,
      profile,
    });
    log.info(
      { board: board.id, deployment: d },
      d.flashed
        ? `board ${board.id}: flashed ${d.bytes} B model in ${d.seconds.toFixed(1)} s`
        : `board ${board.id}: already runs this model`,
    );
    return d;
  } catch (err) {
    if (err instanceof TinygateError && err.code === 'MODEL_DOES_NOT_FIT') throw err;
    const message = err instanceof Error ? err.message : String(err);
    log.warn({ board: board.id, err: message }, `board ${board.id}: model not deployed: ${message}`);
    return { error: message };
  }
}

/**
 * `inference: board` needs the int8 model on a board that runs our firmware (a serial or host board, where
 * the model is flashed); the scorer sends each window's model input to the board and scores its output.
 */
function onBoardScorer(
  board: BoardConfig,
  plan: DetectionPlan,
  transport: BoardTransport,
  stream: () => Duplex | null,
  log: Logger,
): BoardScorer {
  const problem = !board.model
    ? 'it has no model'
    : !isSerial(transport)
      ? 'it is a JS virtual board, which has no on-board runtime (use `virtual.firmware: host`, the default, or a real board)'
      : !(plan.scorer instanceof Int8AutoencoderScorer)
        ? `its model runs as ${plan.scorer.kind} (on-board inference needs the int8 conversion: scorer auto or int8)`
        : null;
  if (problem) {
    throw new TinygateError('CONFIG_INVALID', `board ${board.id}: inference: board, but ${problem}`, {
      hint: 'Give the board an int8 model (tinygate convert) on a board running the firmware-bridge, or set inference: gateway.',
    });
  }
  return new BoardScorer(plan.scorer as Int8AutoencoderScorer, stream, {
    onFallback: (why, retryInMs) =>
      log.warn(
        { board: board.id, why, retryInMs },
        `board ${board.id}: inference on the board failed (${why}); scoring on the gateway` +
          (retryInMs === null ? '' : `, trying the board again in ${Math.round(retryInMs / 1000)} s`),
      ),
    onRecover: () => log.info({ board: board.id }, `board ${board.id}: inference runs on the board again`),
  });
}
