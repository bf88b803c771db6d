import { EventEmitter } from 'node:events';
import { ulid } from 'ulid';
import { DriftWatch } from '../detect/drift.js';
import {
  type Alert,
  type LiveDecision,
  LiveDetection,
  loadSidecar,
  type WindowScorer,
} from '../detect/index.js';
import { TinygateError } from '../errors/index.js';
import type { BoardLearner, LearnStatus } from '../learn/board-learner.js';
import { BoardSession, type BoardState, type StateChange, StreamWindower } from '../sensing/index.js';
import { type BoardInferenceStats, BoardScorer } from './board-scorer.js';
import type { BoardConfig } from './config.js';
import type { Deployment } from './deploy.js';
import type { DetectionPlan } from './detection-plan.js';
import { samplesMissingByArrival } from './late-samples.js';
import type { BoardTransport } from './transports.js';

/** Scores the threshold is learned from at least (a rarer rate than 1 in 100 needs a tail fit). */
export const THRESHOLD_MIN_WINDOWS = 100;

/** Points per second per channel sent to live views: enough for a chart, far below the sampling rate. */
const TRACE_HZ = 50;

export interface TracePoint {
  ts: number;
  values: number[];
}

export interface BoardStatus {
  id: string;
  name: string;
  profile: string;
  transport: string;
  state: BoardState;
  inference: 'gateway' | 'board';
  /** `moving`: the model's checks see it move within a window (vibration): its RMS is reported too. */
  channels: { name: string; sensor: string; unit: string; moving: boolean }[];
  model: { id: string; hash: string; kind: string } | null;
  samples: number;
  windows: number;
  /** Samples the board reported lost (stalls longer than its backlog); their windows are not scored. */
  lostSamples: number;
  /** Windows not scored because their samples arrived over far more time than they span (unreported gaps). */
  lateWindows: number;
  /** Windows not scored for lost or late samples (reported and judged by arrival together). */
  dataQualityWindows: number;
  /** On-site learning: collecting, training or watching, its progress, and the learned version in force. */
  learning: LearnStatus | null;
  reconnects: number;
  score: number | null;
  threshold: number;
  anomaly: boolean;
  /** Channels in a sensor alarm now (stuck, dropped out, spiking): their readings are not to be trusted. */
  faultyChannels: string[];
  /** The latest machine alarm was acknowledged by an operator; null before the first alarm. */
  acknowledged: boolean | null;
  latest: Record<string, number>;
  /** RMS about the mean over the latest window, per moving channel (vibration): its latest sample says little. */
  rms: Record<string, number>;
  lastSampleTs: number | null;
  /** With inference: board, what the board's runtime has scored and why it last fell back to the gateway. */
  boardInference: BoardInferenceStats | null;
  /** The int8 model on the board itself (flashed over the serial link), when the board has a model store. */
  deployment: Deployment | { error: string } | null;
}

export interface BoardRunnerEvents {
  state: [StateChange];
  decision: [LiveDecision];
  alert: [Alert];
  trace: [{ board: string; points: TracePoint[] }];
}

/**
 * One board from samples to decisions: its johnny-five session, the windows cut from its stream, and
 * detection on them. Emits `state`, `decision`, `alert` and decimated `trace` points for live views.
 */
export class BoardRunner extends EventEmitter<BoardRunnerEvents> {
  readonly config: BoardConfig;
  readonly session: BoardSession;
  private readonly plan: DetectionPlan;
  /** On-site learning of this machine's model (every board can be told to re-learn). */
  learner: BoardLearner | null = null;
  /** Puts a learned model in force: loads it and, with inference: board, flashes it (set by the gateway). */
  modelSwitcher: ((dir: string) => Promise<WindowScorer>) | null = null;
  private readonly drift: DriftWatch;
  /** A scorer this runner loaded for a learned model, freed when replaced. */
  private ownScorer: WindowScorer | null = null;
  readonly transport: BoardTransport;
  private readonly live: LiveDetection;
  private readonly windower: StreamWindower;
  private readonly latest: Float64Array;
  private samples = 0;
  /** Set by the gateway after flashing (or failing to). */
  deployment: Deployment | { error: string } | null = null;
  private windows = 0;
  private lostSamples = 0;
  /** Windows whose samples arrived over more time than they span (a stall the board did not report). */
  private lateWindows = 0;
  private readonly rms: Record<string, number> = {};
  private lastSampleTs: number | null = null;
  private score: number | null = null;
  private anomaly = false;
  /** Channels whose sensor check failed during the stream's current sensor alarm (empty when none). */
  private readonly faultyChannels = new Set<string>();
  /** The latest machine alert and whether an operator acknowledged it (ISA-18.2's "acknowledged"). */
  private ackOf: { alertId: string; acknowledged: boolean } | null = null;
  private readonly decimate: number;
  private sinceTrace = 0;
  private trace: TracePoint[] = [];
  private traceTimer: NodeJS.Timeout | null = null;

  constructor(
    config: BoardConfig,
    transport: BoardTransport,
    plan: DetectionPlan,
    detector: LiveDetectionDetector,
  ) {
    super();
    this.config = config;
    this.transport = transport;
    this.plan = plan;
    this.session = new BoardSession({
      config: {
        id: config.id,
        samplingRateHz: config.samplingRateHz,
        sensors: config.sensors,
        ...(config.adc ? { adc: config.adc } : {}),
      },
      openTransport: () => transport.open(),
      // Our firmware numbers its sample slots; the windows holding a lost one are not scored.
      onGap: (n) => {
        this.lostSamples += n;
        this.windower.markGap(n);
      },
      onSample: (ch, v, ts) => this.onSample(ch, v, ts),
    });
    this.latest = new Float64Array(this.session.channels.length).fill(Number.NaN);
    this.windower = new StreamWindower(
      plan.pipeline,
      this.session.channels.map((c) => c.name),
    );
    this.decimate = Math.max(1, Math.round(config.samplingRateHz / TRACE_HZ));
    this.drift = new DriftWatch({ lastingS: config.drift.hours * 3600, ratio: config.drift.ratio });
    this.live = new LiveDetection({
      scorer: plan.scorer,
      pipeline: plan.pipeline,
      checks: plan.checks,
      ...(detector ? { detector } : {}),
      onAlert: (a) => {
        if (a.kind === 'machine') this.ackOf = { alertId: a.id, acknowledged: false };
        this.emit('alert', a);
      },
      onDecision: (d) => {
        if (d.score !== null) this.score = d.score;
        if (this.learner?.state === 'learning') this.learnFrom(d);
        else if (d.score !== null) this.watchDrift(d);
        this.anomaly = d.verdict === 'machine' || d.alert?.kind === 'machine';
        if (!d.sensorAlarm) this.faultyChannels.clear();
        else if (d.faultyChannel) this.faultyChannels.add(d.faultyChannel);
        this.emit('decision', d);
      },
    });
    this.session.on('state', (c: StateChange) => this.emit('state', c));
  }

  start(): void {
    this.session.start();
    this.traceTimer = setInterval(() => this.flushTrace(), 200);
  }

  async stop(): Promise<void> {
    if (this.traceTimer) clearInterval(this.traceTimer);
    this.traceTimer = null;
    await this.session.stop();
    await this.live.drain();
    await this.learner?.stop();
    this.ownScorer?.dispose?.();
    await this.transport.close();
  }

  status(): BoardStatus {
    const latest: Record<string, number> = {};
    this.session.channels.forEach((c, i) => {
      if (!Number.isNaN(this.latest[i]!)) latest[c.name] = this.latest[i]!;
    });
    const model = this.plan.model
      ? {
          id: this.plan.model.sidecar.model.id,
          hash: this.plan.model.sidecar.model.hash,
          kind: this.plan.scorer.kind,
        }
      : null;
    return {
      id: this.config.id,
      name: this.config.name ?? this.config.id,
      profile: this.config.profile,
      transport: this.transport.describe(),
      state: this.session.state,
      inference: this.config.inference,
      channels: this.session.channels.map((c) => ({
        name: c.name,
        sensor: c.sensor,
        unit: c.unit,
        moving: this.plan.pipeline.channels.some((p, i) => p.name === c.name && this.plan.checks[i]?.dynamic),
      })),
      model,
      samples: this.samples,
      windows: this.windows,
      lostSamples: this.lostSamples,
      lateWindows: this.lateWindows,
      dataQualityWindows: this.live.gaps,
      learning: this.learningStatus(),
      reconnects: this.session.reconnects,
      score: this.score,
      threshold: this.thresholdInForce(),
      anomaly: this.anomaly,
      faultyChannels: [...this.faultyChannels],
      acknowledged: this.ackOf?.acknowledged ?? null,
      latest,
      rms: { ...this.rms },
      lastSampleTs: this.lastSampleTs,
      boardInference: this.plan.scorer instanceof BoardScorer ? { ...this.plan.scorer.stats } : null,
      deployment: this.deployment,
    };
  }

  private learningStatus(): BoardStatus['learning'] {
    return this.learner?.status() ?? null;
  }

  /** The threshold in force: an operator's if set; while learning, the model's own; once learned, the stream's. */
  private thresholdInForce(): number {
    if (this.live.thresholdOverride !== null) return this.live.thresholdOverride;
    const s = this.live.learning()[0];
    return s?.done ? s.threshold : this.plan.scorer.threshold;
  }

  /**
   * An operator's threshold for this board's windows from the next one on, until its model or learning
   * changes (a new model brings its own threshold). Refused while the board learns its threshold.
   */
  setThreshold(value: unknown): { threshold: number; previous: number } {
    const id = this.config.id;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TinygateError(
        'THRESHOLD_INVALID',
        `board ${id}: threshold ${JSON.stringify(value)} is not a positive number`,
        {
          hint: `Send a number above 0 on the board's score scale (in force now: ${this.thresholdInForce()}).`,
        },
      );
    }
    const learning = this.live.learning()[0];
    if ((learning && !learning.done) || this.learner?.state === 'training') {
      throw new TinygateError(
        'THRESHOLD_WHILE_LEARNING',
        `board ${id} is learning its normal: its threshold is not set yet`,
        {
          hint: 'Wait until learning ends (the learning state says watching), then set the threshold.',
        },
      );
    }
    const previous = this.thresholdInForce();
    this.live.setThreshold(value);
    return { threshold: value, previous };
  }

  /**
   * Learn this machine's normal afresh (after maintenance, a process change). Refused while the machine is
   * in alarm unless forced: learning through a developing fault would teach the fault as normal.
   */
  relearn(o: { force?: boolean } = {}): LearnStatus {
    const id = this.config.id;
    if (!this.learner) {
      throw new TinygateError(
        'LEARN_UNAVAILABLE',
        `board ${id} cannot learn: it has no detection to learn for`,
        {
          hint: 'Check the board config.',
        },
      );
    }
    if (this.learner.state === 'training') {
      throw new TinygateError('LEARN_BUSY', `board ${id} is already training its model`, {
        hint: 'Wait for it to finish (see /health or the learning state on MQTT), then ask again.',
      });
    }
    if (this.live.inMachineAlarm && !o.force) {
      throw new TinygateError(
        'LEARN_IN_ALARM',
        `board ${id} is in a machine alarm: re-learning now would teach the developing fault as its normal`,
        { hint: 'Fix or clear the alarm first; if the alarm is known to be false, ask again with force.' },
      );
    }
    this.live.restart({ learning: this.learningOptions() });
    this.learner.restart();
    this.drift.reset();
    return this.learner.status();
  }

  /** Put a model folder in force for this board's next windows (a learned version, or a rollback). */
  async useModel(dir: string): Promise<void> {
    if (!this.modelSwitcher) throw new Error(`board ${this.config.id}: no model switcher`);
    // The board is busy taking its new model: its windows are scored on the gateway meanwhile.
    if (this.plan.scorer instanceof BoardScorer)
      this.live.restart({ scorer: this.plan.scorer.gatewayScorer });
    const scorer = await this.modelSwitcher(dir);
    const previous = this.ownScorer;
    this.ownScorer = scorer;
    this.plan.scorer = scorer;
    this.plan.model = { sidecar: loadSidecar(dir).sidecar };
    this.live.restart({ scorer, learning: null });
    this.drift.reset();
    previous?.dispose?.();
  }

  // While learning: every scored window is kept; a machine alarm (after the threshold is set) ends it, since
  // the machine is no longer known to be normal; enough windows and seconds start the model's training.
  private learnFrom(d: LiveDecision): void {
    const learner = this.learner!;
    if (d.machineAlarm) {
      learner.abort(
        `a machine alarm after ${learner.status().windows} windows: the machine is not known to be normal, so no model was learned (re-learn once it is)`,
      );
      return;
    }
    if (d.features) learner.collect(d.features, d.window.end);
    if (this.live.learning()[0]?.done && learner.ready()) void learner.train();
  }

  // A lasting move of the score level with no alarm is reported once; re-learnt only when the config says so.
  private watchDrift(d: LiveDecision): void {
    const drift = this.drift.add(d.score!, d.window.end, d.machineAlarm);
    if (!drift) return;
    const { ratio, relearn, hours } = this.config.drift;
    const times = drift.level / drift.reference;
    const message = `the normal score level of ${this.config.id} has been ${times >= 1 ? `${times.toFixed(1)}×` : `1/${(1 / times).toFixed(1)} of`} what it was when its model went live for ${hours} h with no machine alarm: normal may have changed (maintenance, a process change). ${relearn ? 'Re-learning now (drift.relearn: true).' : `Re-learn? tinygate learn ${this.config.id}`}`;
    const now = Date.now();
    this.emit('alert', {
      id: ulid(now),
      board: this.config.id,
      sensor: this.plan.sensor,
      kind: 'drift',
      score: drift.level,
      threshold: drift.reference * (times >= 1 ? ratio : 1 / ratio),
      window: { start: drift.since, end: d.window.end },
      model: this.plan.model
        ? { id: this.plan.model.sidecar.model.id, hash: this.plan.model.sidecar.model.hash }
        : null,
      ts: now,
      message,
    });
    if (relearn && this.learner?.state === 'watching') this.relearn();
  }

  /** An operator acknowledges the latest machine alarm; a new alarm asks for acknowledgement again. */
  acknowledge(): { alertId: string; acknowledged: true } {
    if (!this.ackOf) {
      throw new TinygateError(
        'ACK_NOTHING',
        `board ${this.config.id} has raised no machine alarm to acknowledge`,
        {
          hint: 'Acknowledge after a machine alert; sensor and data-quality alerts need no acknowledgement.',
        },
      );
    }
    this.ackOf.acknowledged = true;
    return { alertId: this.ackOf.alertId, acknowledged: true };
  }

  private learningOptions() {
    const l = this.learner!.o;
    return {
      seconds: l.seconds,
      falseAlarmsPerDay: l.falseAlarmsPerDay,
      minWindows: this.learner!.needWindows,
    };
  }

  private onSample(ch: number, value: number, ts: number): void {
    this.latest[ch] = value;
    this.lastSampleTs = ts;
    if (ch === 0) {
      this.samples++;
      if (++this.sinceTrace >= this.decimate) {
        this.sinceTrace = 0;
        this.trace.push({ ts, values: Array.from(this.latest) });
      }
    }
    const w = this.windower.push(ch, value, ts);
    if (w) {
      // A board without sample marks (StandardFirmata): samples that never came show only in arrival times.
      // With marks, the samples were taken on the board's clock however late they came.
      const missing =
        w.lostSamples || this.session.sampleMarks
          ? 0
          : samplesMissingByArrival(w, this.plan.pipeline.window.size, this.config.samplingRateHz);
      if (missing > 0) {
        w.lostSamples = missing;
        this.lateWindows++;
      }
      this.plan.pipeline.channels.forEach((c, i) => {
        if (this.plan.checks[i]?.dynamic) this.rms[c.name] = acRms(w.channels[i]!);
      });
      this.windows++;
      this.live.submit(this.config.id, this.plan.sensor, w);
    }
  }

  private flushTrace(): void {
    if (this.trace.length === 0) return;
    const points = this.trace;
    this.trace = [];
    this.emit('trace', { board: this.config.id, points });
  }
}

type LiveDetectionDetector = ConstructorParameters<typeof LiveDetection>[0]['detector'];

/** Root mean square about the mean (the vibration, without gravity or offset). */
function acRms(x: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i]!;
  mean /= x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! - mean) ** 2;
  return Math.sqrt(ss / x.length);
}
