import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { findBoard } from '../boards/index.js';
import {
  type Alert,
  DEFAULT_DEBOUNCE,
  Int8AutoencoderScorer,
  type LiveDecision,
  MODEL_FILES,
  type WindowScorer,
} from '../detect/index.js';
import { TinygateError } from '../errors/index.js';
import { BoardLearner, type LearnOutcome, type LearnStatus } from '../learn/board-learner.js';
import { type ModelVersion, ModelVersions } from '../learn/model-versions.js';
import { crc32, flashModel, openLink } from '../link/index.js';
import {
  type BoardCommand,
  createPublisher,
  type Logger,
  type Publisher,
  type PublisherStatus,
  type SinkStatus,
  silentLogger,
} from '../publish/index.js';
import { AdcSpec, channelsOfAll, type StateChange } from '../sensing/index.js';
import { inspectModel, readTflite } from '../tflite/index.js';
import { BoardRunner, type BoardStatus, THRESHOLD_MIN_WINDOWS, type TracePoint } from './board-runner.js';
import { BoardScorer } from './board-scorer.js';
import { type BoardConfig, type GatewayConfig, resolveFrom } from './config.js';
import { type Deployment, deployModel } from './deploy.js';
import { type DetectionPlan, forgetModels, planDetection } from './detection-plan.js';
import { linkOverload } from './link-budget.js';
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
  /** Every output (MQTT JSON topics, Home Assistant, Sparkplug, webhooks), each delivering on its own. */
  sinks: SinkStatus[];
  alerts: { total: number; recent: Alert[] };
}

export interface GatewayEvents {
  state: [StateChange];
  /** A board's learning ended (a new version in force, or why not). */
  learned: [{ board: string } & LearnOutcome];
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
  private stateRounds = 0;
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
        // Real ports only: a virtual board's pty is not paced by a baud rate.
        const overload = board.port && isSerial(transport) ? linkOverload(board, transport.baudRate) : null;
        if (overload) log.warn({ board: board.id }, overload);
        const channels = channelsOfAll(board.sensors, board.adc ?? AdcSpec.parse({}));
        // A model this board learned on site, when one is in force, wins over the configured one.
        const versions = new ModelVersions(join(dataDir, 'models', board.id), board.learn?.keepVersions);
        const learned = versions.active();
        const configured = board.model ? resolveFrom(o.baseDir, board.model) : undefined;
        const modelDir = learned?.dir ?? configured;
        const plan = await planDetection(board.id, channels, board.samplingRateHz, modelDir, board.scorer);
        const learning = board.learn !== undefined && learned === null;
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
        runner = new BoardRunner(board, transport, plan, detectorOptions(config, board, learning));
        runner.learner = new BoardLearner({
          board: board.id,
          versions,
          pipeline: plan.pipeline,
          checks: plan.checks,
          warmStart: configured ?? null,
          seconds: board.learn?.seconds ?? 0,
          falseAlarmsPerDay: board.learn?.falseAlarmsPerDay ?? 1,
          debounce: config.detector.debounce ?? DEFAULT_DEBOUNCE,
          profile: board.inference === 'board' ? findBoard(board.profile) : null,
          learning,
        });
        runner.modelSwitcher = modelSwitcher(board, runner, log);
        if (modelDir && isSerial(transport))
          runner.deployment = await deploy(board, transport, modelDir, log);
        runners.push(runner);
      }
    } catch (err) {
      await Promise.allSettled(transports.map((t) => t.close()));
      throw err;
    }
    const mqtt = config.mqtt
      ? resolveMqttPaths(config.mqtt, o.baseDir)
      : { journal: { path: join(dataDir, 'journal') }, embedded: { port: 1883 } };
    const publisher = await createPublisher({
      gatewayId: config.gateway.id,
      config: mqtt,
      webhooks: config.webhooks,
      logger: log,
    });
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
      sinks: this.publisher.sinks.map((s) => s.status()),
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
      this.log.info({}, 'boards stopped; closing the outputs (journal flush, offline)');
      await this.publisher.close({ drainMs: 2000 });
      this.log.info({}, 'MQTT closed');
      forgetModels();
    })();
    return this.stopping;
  }

  /** An operator acknowledges the board's latest machine alarm (HA button, MQTT cmd/ack, Sparkplug DCMD). */
  acknowledge(boardId: string): { alertId: string; acknowledged: true } {
    const r = this.runner(boardId).acknowledge();
    this.log.info(
      { board: boardId, alertId: r.alertId },
      `board ${boardId}: alarm ${r.alertId} acknowledged`,
    );
    return r;
  }

  /** Close the board's connection and open it again (an Arduino with auto-reset restarts on the reopen). */
  restart(boardId: string): { board: string; state: string } {
    const runner = this.runner(boardId);
    runner.session.reconnect('restart requested');
    this.log.info({ board: boardId }, `board ${boardId}: restarting its connection on request`);
    return { board: boardId, state: runner.session.state };
  }

  /** Learn a board's normal afresh; refused while it is in alarm unless forced (see BoardRunner.relearn). */
  learn(boardId: string, o: { force?: boolean } = {}): LearnStatus {
    const status = this.runner(boardId).relearn(o);
    this.log.info(
      { board: boardId, force: o.force ?? false },
      `board ${boardId}: learning its normal afresh`,
    );
    return status;
  }

  /** An operator's threshold for a board (MQTT cmd/threshold, Sparkplug DCMD Threshold, HTTP); see BoardRunner.setThreshold. */
  setThreshold(boardId: string, value: unknown): { threshold: number; previous: number } {
    const r = this.runner(boardId).setThreshold(value);
    this.log.info(
      { board: boardId, ...r },
      `board ${boardId}: threshold ${r.previous} → ${r.threshold} (operator)`,
    );
    return r;
  }

  /** A board's learned model versions, oldest first. */
  models(boardId: string): ModelVersion[] {
    return this.runner(boardId).learner!.o.versions.list();
  }

  /**
   * Put an earlier model back in force: a learned version, or (version 0, or no earlier version) the
   * configured model. Default: the one before the version in force.
   */
  async rollback(boardId: string, version?: number): Promise<{ version: number; dir: string }> {
    const runner = this.runner(boardId);
    const learner = runner.learner!;
    const versions = learner.o.versions;
    if (learner.state === 'training') {
      throw new TinygateError(
        'LEARN_BUSY',
        `board ${boardId} is training its model: roll back when it is done`,
        {
          hint: 'Wait for training to finish (see /health), then ask again.',
        },
      );
    }
    const target = version ?? versions.previous()?.version ?? 0;
    let dir: string;
    if (target === 0) {
      if (!learner.o.warmStart) {
        throw new TinygateError(
          'MODEL_VERSION_UNKNOWN',
          `board ${boardId} has no configured model to go back to`,
          {
            hint: `Its learned versions: ${
              versions
                .list()
                .map((v) => v.version)
                .join(', ') || 'none'
            }.`,
          },
        );
      }
      dir = learner.o.warmStart;
      versions.deactivate();
    } else {
      dir = versions.activate(target).dir;
    }
    learner.stopLearning();
    await runner.useModel(dir);
    this.log.info(
      { board: boardId, version: target },
      `board ${boardId}: ${target === 0 ? 'its configured model' : `model version ${target}`} in force (rollback)`,
    );
    return { version: target, dir };
  }

  private runner(boardId: string): BoardRunner {
    const r = this.runners.find((x) => x.config.id === boardId);
    if (!r) {
      throw new TinygateError('BOARD_UNKNOWN', `no board "${boardId}" on gateway ${this.config.gateway.id}`, {
        hint: `Its boards: ${this.runners.map((x) => x.config.id).join(', ')}.`,
      });
    }
    return r;
  }

  private wire(): void {
    this.publisher.setConfiguredBoards(this.runners.map((r) => r.config.id));
    for (const runner of this.runners) {
      const id = runner.config.id;
      runner.learner?.on('learned', ({ version, model }) => {
        runner
          .useModel(model.dir)
          .then(() => {
            runner.learner!.o.versions.activate(version);
            this.log.info({ board: id, version }, `board ${id}: learned model version ${version} in force`);
          })
          .catch((err: unknown) =>
            this.log.error(
              { board: id, err: (err as Error).message },
              `board ${id}: learned model not put in force: ${(err as Error).message}`,
            ),
          );
      });
      runner.learner?.on('outcome', (outcome) => {
        if (outcome.ok) this.log.info({ board: id, outcome }, `board ${id}: ${outcome.message}`);
        else this.log.warn({ board: id, outcome }, `board ${id}: ${outcome.message}`);
        this.emit('learned', { board: id, ...outcome });
      });
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
      // Offline until it streams: a status left online by a crashed gateway must not stand.
      this.publisher.boardConfigured(boardInfo(runner));
      runner.start();
    }
    this.publisher.on('command', (c: BoardCommand) => void this.onCommand(c));
    this.stateTimer = setInterval(() => this.publishStates(), STATE_EVERY_MS);
  }

  // tinygate/<gateway>/<board>/cmd/<learn|rollback|models>; the answer goes to …/cmd/result, echoing `id`.
  private async onCommand(c: BoardCommand): Promise<void> {
    const echo =
      typeof c.payload.id === 'string' || typeof c.payload.id === 'number' ? { id: c.payload.id } : {};
    try {
      let result: unknown;
      if (c.command === 'learn') result = this.learn(c.board, { force: c.payload.force === true });
      else if (c.command === 'rollback')
        result = await this.rollback(
          c.board,
          typeof c.payload.version === 'number' ? c.payload.version : undefined,
        );
      else if (c.command === 'models') result = this.models(c.board);
      else if (c.command === 'restart') result = this.restart(c.board);
      else if (c.command === 'ack') result = this.acknowledge(c.board);
      else if (c.command === 'threshold') result = this.setThreshold(c.board, c.payload.value);
      else
        throw new TinygateError('COMMAND_UNKNOWN', `no command "${c.command}" for board ${c.board}`, {
          hint: 'Board commands: learn ({"force": true|false}), rollback ({"version": n}), models, restart, ack, threshold ({"value": x}).',
        });
      this.publisher.publishCommandResult(c.board, { command: c.command, ...echo, ok: true, result });
    } catch (err) {
      const error =
        err instanceof TinygateError ? err.toJSON() : { code: 'COMMAND_FAILED', message: String(err) };
      this.log.warn(
        { board: c.board, command: c.command, error },
        `command ${c.command} for ${c.board} refused: ${error.message}`,
      );
      this.publisher.publishCommandResult(c.board, { command: c.command, ...echo, ok: false, error });
    }
  }

  private publishStates(): void {
    // Diagnostics change slowly: every 10th state round.
    if (this.stateRounds++ % 10 === 0)
      this.publisher.publishDiagnostics({ uptimeS: Math.round((Date.now() - this.startedAt) / 1000) });
    for (const runner of this.runners) {
      const s = runner.status();
      if (s.state !== 'streaming' || s.lastSampleTs === null) continue;
      this.publisher.publishState(s.id, {
        anomaly: s.anomaly,
        acknowledged: s.acknowledged,
        score: s.score,
        threshold: s.threshold,
        sensors: s.latest,
        faultySensors: s.faultyChannels,
        ...(Object.keys(s.rms).length ? { rms: s.rms } : {}),
        diagnostics: {
          dataQualityWindows: s.dataQualityWindows,
          inferenceMicros:
            s.boardInference?.meanMicros === undefined || s.boardInference.meanMicros === null
              ? null
              : Math.round(s.boardInference.meanMicros),
        },
        ts: Math.round(s.lastSampleTs),
        ...(s.learning
          ? {
              learning: {
                state: s.learning.state,
                progressPct: Math.round(s.learning.progress * 100),
                version: s.learning.version,
              },
            }
          : {}),
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
    ...(runner.session.firmwareLabel ? { firmware: runner.session.firmwareLabel } : {}),
    learns: s.learning !== null,
    diagnostics: true,
    infersOnBoard: s.inference === 'board',
    sensors: s.channels.map((c) => ({ name: c.name, unit: c.unit, ...(c.moving ? { rms: true } : {}) })),
  };
}

function detectorOptions(config: GatewayConfig, board: BoardConfig, learning: boolean) {
  const d = config.detector;
  const out: Record<string, unknown> = {};
  if (learning && board.learn) {
    const { seconds, falseAlarmsPerDay } = board.learn;
    out.learning = { seconds, falseAlarmsPerDay, minWindows: THRESHOLD_MIN_WINDOWS };
  }
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

/**
 * How a board takes a learned model: the gateway loads its int8 conversion; with inference: board, the model
 * is first flashed over the board's open link (A/B slots: the old one runs until the new one is committed).
 */
function modelSwitcher(board: BoardConfig, runner: BoardRunner, log: Logger) {
  return async (dir: string): Promise<WindowScorer> => {
    const local = await Int8AutoencoderScorer.open(dir, { exact: board.scorer === 'int8-exact' });
    if (board.inference !== 'board') return local;
    const stream = runner.session.openTransport;
    if (!stream) {
      local.dispose();
      throw new TinygateError(
        'BOARD_NOT_CONNECTED',
        `board ${board.id} is not connected, so its new model cannot be flashed`,
        {
          hint: 'Reconnect the board; the model in force stays until then.',
        },
      );
    }
    const bytes = new Uint8Array(readFileSync(join(dir, MODEL_FILES.int8)));
    const started = performance.now();
    const link = await openLink({ stream, name: board.id });
    try {
      const r = await flashModel(link, bytes);
      runner.deployment = {
        model: join(dir, MODEL_FILES.int8),
        bytes: bytes.length,
        crc32: crc32(bytes),
        arenaBytes: inspectModel(readTflite(bytes), bytes.length).tflm.totalBytes,
        slot: r.slot,
        flashed: true,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      link.detach();
    }
    log.info({ board: board.id, model: dir }, `board ${board.id}: flashed ${bytes.length} B learned model`);
    return new BoardScorer(local, () => runner.session.openTransport ?? null, {
      onFallback: (why) =>
        log.warn(
          { board: board.id, why },
          `board ${board.id}: inference on the board failed (${why}); scoring on the gateway`,
        ),
    });
  };
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
        ? `its model runs as ${plan.scorer.kind} (on-board inference needs the int8 conversion: scorer auto, int8 or int8-exact)`
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
