// A fleet in the field: 8 machines of the motor family (src/sim/machine-family), none of them the motor the
// shipped model was trained on. Side by side per machine: (a) the shipped one-size model with its own
// threshold, (b) the machine's own model learned on site by the gateway's learner (src/learn, from its
// first LEARN_S of normal running, in the worker thread) in float and int8. Judged on another stretch:
// false machine alerts over NORMAL_S of normal running (the gateway's detector: 3 of 5, hysteresis) and
// AUC per fault type and severity. Then the same normal stream delivered with timing faults (stalls of a
// busy gateway: samples past the board's backlog lost and reported, the rest late but intact) through the
// gateway's windower and detector, beside the same faults unreported (a board without our sample counter).
// Last, windows per second the gateway's thread scores with no training, while a board trains in the
// worker, and while one trains on the gateway's own thread. Prints one JSON document; BENCH_QUICK=1 shrinks it;
// FIELD_PART=throughput runs only the last part (a minute instead of an hour).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FloatAutoencoderScorer } from '../src/detect/float-scorer.js';
import {
  Int8AutoencoderScorer,
  LiveDetection,
  loadSidecar,
  rocAuc,
  StreamDetector,
  type WindowScorer,
  windowRecording,
} from '../src/detect/index.js';
import { learnInWorker } from '../src/learn/learn-in-worker.js';
import { type LearnModelInput, learnModel } from '../src/learn/learn-model.js';
import type { SensorSpecInput } from '../src/sensing/index.js';
import { StreamWindower } from '../src/sensing/index.js';
import {
  machineFamily,
  parseScenario,
  type Scenario,
  SEVERITY,
  scenarioChunks,
  scenarioRecording,
} from '../src/sim/index.js';
import { Rng } from '../src/sim/rng.js';

const QUICK = process.env.BENCH_QUICK === '1';
const started = performance.now();
const log = (s: string) =>
  process.stderr.write(`field [${((performance.now() - started) / 1000).toFixed(0)} s]: ${s}\n`);
const SHIPPED = fileURLToPath(new URL('../models/motor-vib', import.meta.url));
const CHANNELS = ['vib.x', 'vib.y', 'vib.z'];
const SENSORS: SensorSpecInput[] = [
  { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] },
];
const FAULTS = [
  'bearing-outer-race',
  'bearing-inner-race',
  'imbalance',
  'misalignment',
  'looseness',
] as const;
/** The named severities plus two below mild: where detection stops is part of the result. */
const SEVERITIES = { faint: 0.05, slight: 0.1, mild: SEVERITY.mild, moderate: SEVERITY.moderate };
const SIZES = QUICK
  ? { machines: 3, learnS: 300, normalS: 1800, faultS: 240, onsetS: 90, rampS: 30, throughputS: 4 }
  : { machines: 8, learnS: 600, normalS: 86_400, faultS: 300, onsetS: 150, rampS: 30, throughputS: 8 };
/** Busy-gateway stalls: one every STALL_EVERY_S on average, 0.05–5 s long (log-uniform). */
const STALL_EVERY_S = 120;
const STALL_S = [0.05, 5] as const;
/** Samples the host board's firmware keeps while its loop is stalled (TG_SAMPLE_BACKLOG). */
const BACKLOG = 250;
const FALSE_ALARMS_PER_DAY = 1;
const DEBOUNCE = { k: 3, n: 5 };
/** Boards whose windows the gateway decides while one board learns (the throughput measurement). */
const BOARDS = 3;

const shippedSidecar = loadSidecar(SHIPPED).sidecar;
const pipeline = shippedSidecar.features;
const checks = shippedSidecar.checks;
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-field-'));
try {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function run() {
  if (process.env.FIELD_PART === 'throughput') return throughputOnly();
  const shippedInt8 = await Int8AutoencoderScorer.open(SHIPPED);
  const shippedFloat = await FloatAutoencoderScorer.fromDir(SHIPPED);
  const family = machineFamily(SIZES.machines + 1, 7).slice(1);
  const machines = [];
  let throughput: Awaited<ReturnType<typeof measureThroughput>> | null = null;
  for (const m of family) {
    log(`${m.name}: ${m.description}`);
    const learnOn = windowsOf(scenario(`${m.name}-site`, m.machine, 401, SIZES.learnS));
    const input = learnInput(m.name, learnOn);
    const t0 = performance.now();
    // The first machine's learning is also the throughput measurement: the gateway thread scores meanwhile.
    const learned = throughput
      ? await learnInWorker(input).result
      : await (async () => {
          throughput = await measureThroughput(input, shippedInt8);
          return throughput.learned;
        })();
    const learnS = (performance.now() - t0) / 1000;
    const ownFloat = await FloatAutoencoderScorer.fromDir(learned.dir);
    const ownInt8 = await Int8AutoencoderScorer.open(learned.dir);
    const scorers: WindowScorer[] = [shippedFloat, shippedInt8, ownFloat, ownInt8];
    const names = ['shippedFloat', 'shippedInt8', 'learnedFloat', 'learnedInt8'] as const;

    log(`${m.name}: ${SIZES.normalS} s of normal running`);
    const normalScenario = scenario(`${m.name}-normal`, m.machine, 402, SIZES.normalS);
    const normal = await evaluate(normalScenario, scorers);
    const negatives = normal.scores;
    const faults: Record<string, Record<string, Record<string, number>>> = {};
    for (const kind of FAULTS) {
      faults[kind] = {};
      for (const [sev, severity] of Object.entries(SEVERITIES)) {
        const s = scenario(`${m.name}-${kind}-${sev}`, m.machine, 403, SIZES.faultS, [
          { kind, onsetS: SIZES.onsetS, rampS: SIZES.rampS, severity },
        ]);
        const positives = await windowScores(s, scorers, (endS) => endS >= SIZES.onsetS + SIZES.rampS);
        faults[kind]![sev] = Object.fromEntries(
          names.map((n, i) => [n, round(auc(positives[i]!, negatives[i]!))]),
        );
      }
    }
    log(`${m.name}: the same normal running with timing faults`);
    const timing = await timingFaults(normalScenario, ownInt8, ['reported', 'unreported', 'read-late']);
    machines.push({
      name: m.name,
      description: m.description,
      learned: {
        windows: learned.windows,
        warmStarted: learned.warmStarted,
        seconds: round(learnS, 1),
        int8Bytes: learned.int8.bytes,
        gate: learned.gate,
        threshold: { shipped: round(shippedInt8.threshold), learned: round(learned.threshold) },
      },
      normal: Object.fromEntries(
        names.map((n, i) => [n, { hours: round(normal.hours, 2), falseMachineAlerts: normal.alerts[i]! }]),
      ),
      auc: faults,
      timingFaults: timing,
    });
    ownFloat.dispose();
    ownInt8.dispose();
  }
  shippedFloat.dispose();
  shippedInt8.dispose();
  return summarize(machines, throughput!);
}

/** FIELD_PART=throughput: only the other boards' windows per second while one learns (a minute, not an hour). */
async function throughputOnly() {
  const m = machineFamily(2, 7)[1]!;
  const input = learnInput(m.name, windowsOf(scenario(`${m.name}-site`, m.machine, 401, SIZES.learnS)));
  const scorer = await Int8AutoencoderScorer.open(SHIPPED);
  const { learned: _learned, ...windowsPerSecond } = await measureThroughput(input, scorer);
  scorer.dispose();
  return { part: 'throughput', learnWindows: input.features.length, windowsPerSecond };
}

function summarize(machines: Machine[], throughput: Awaited<ReturnType<typeof measureThroughput>>) {
  const arms = ['shippedFloat', 'shippedInt8', 'learnedFloat', 'learnedInt8'] as const;
  const total = (arm: (typeof arms)[number]) => {
    const hours = machines.reduce((s, m) => s + m.normal[arm]!.hours, 0);
    const alerts = machines.reduce((s, m) => s + m.normal[arm]!.falseMachineAlerts, 0);
    return {
      machineHours: round(hours, 2),
      falseMachineAlerts: alerts,
      perMachineDay: round((alerts * 24) / hours, 3),
    };
  };
  const worst = (arm: (typeof arms)[number], sev: string) =>
    Math.min(...machines.flatMap((m) => FAULTS.map((k) => m.auc[k]![sev]![arm]!)));
  const int8Gap = (sev: string) =>
    round(
      Math.max(
        ...machines.flatMap((m) =>
          FAULTS.map((k) => m.auc[k]![sev]!.learnedFloat! - m.auc[k]![sev]!.learnedInt8!),
        ),
      ),
    );
  const timing = (which: Delivery) => ({
    stalls: machines.reduce((s, m) => s + m.timingFaults[which].stalls, 0),
    stallsLosingSamples: machines.reduce((s, m) => s + m.timingFaults[which].stallsLosingSamples, 0),
    samplesLost: machines.reduce((s, m) => s + m.timingFaults[which].samplesLost, 0),
    machineAlerts: machines.reduce((s, m) => s + m.timingFaults[which].machineAlerts, 0),
    dataQualityAlerts: machines.reduce((s, m) => s + m.timingFaults[which].dataQualityAlerts, 0),
    windowsNotScored: machines.reduce((s, m) => s + m.timingFaults[which].windowsNotScored, 0),
  });
  const learnedInt8 = total('learnedInt8');
  const worstMild = worst('learnedInt8', 'mild');
  const worstModerate = worst('learnedInt8', 'moderate');
  const reported = timing('reported');
  const { learned: _learned, ...windowsPerSecond } = throughput;
  return {
    quick: QUICK,
    sizes: SIZES,
    shipped: { model: shippedSidecar.model.id, trainedOn: 'the default motor (m0), not in this fleet' },
    falseAlarms: Object.fromEntries(arms.map((a) => [a, total(a)])),
    worstAuc: Object.fromEntries(
      Object.keys(SEVERITIES).map((sev) => [
        sev,
        Object.fromEntries(arms.map((a) => [a, round(worst(a, sev))])),
      ]),
    ),
    int8BelowFloat: { mild: int8Gap('mild'), moderate: int8Gap('moderate') },
    /** Machines whose learned model passed the gate (the gateway keeps the model in force otherwise). */
    learnedWentLive: machines.filter((m) => m.learned.gate.passed).length,
    timingFaults: {
      stallEveryS: STALL_EVERY_S,
      stallS: STALL_S,
      backlogSamples: BACKLOG,
      reported,
      unreported: timing('unreported'),
      readLate: timing('read-late'),
    },
    windowsPerSecond,
    goals: {
      learnedFalseAlarmsZero: {
        goal: 0,
        value: learnedInt8.falseMachineAlerts,
        met: learnedInt8.falseMachineAlerts === 0,
      },
      learnedAucMild: { goal: 0.98, value: round(worstMild), met: worstMild >= 0.98 },
      learnedAucModerate: { goal: 0.98, value: round(worstModerate), met: worstModerate >= 0.98 },
      int8WithinFloat: { goal: 0.005, value: int8Gap('moderate'), met: int8Gap('moderate') <= 0.005 },
      timingFaultMachineAlerts: { goal: 0, value: reported.machineAlerts, met: reported.machineAlerts === 0 },
      otherBoardsDuringTraining: {
        goal: 'within 5 % of the rate before',
        value: windowsPerSecond.paced.duringWorkerLearning.vsBefore,
        met: Math.abs(1 - windowsPerSecond.paced.duringWorkerLearning.vsBefore) <= 0.05,
      },
    },
    machines,
  };
}

interface Machine {
  learned: { gate: { passed: boolean } };
  normal: Record<string, { hours: number; falseMachineAlerts: number }>;
  auc: Record<string, Record<string, Record<string, number>>>;
  timingFaults: Record<Delivery, TimingResult>;
}

type Delivery = 'reported' | 'unreported' | 'read-late';

function scenario(
  name: string,
  machine: Scenario['machine'],
  seed: number,
  durationS: number,
  faults: Scenario['faults'] = [],
) {
  return parseScenario({ name, seed, durationS, machine, sensors: SENSORS, faults });
}

/** The windows a gateway would keep while learning: those passing the sensor checks, with their ends. */
function windowsOf(s: Scenario) {
  const set = windowRecording(scenarioRecording(s, CHANNELS).recording, pipeline, checks);
  const keep = set.features.map((_, w) => w).filter((w) => set.verdicts[w] === null);
  return { features: keep.map((w) => set.features[w]!), ends: keep.map((w) => set.end[w]!) };
}

function learnInput(machine: string, w: { features: Float32Array[]; ends: number[] }): LearnModelInput {
  return {
    board: machine,
    features: w.features,
    span: { start: w.ends[0]!, end: w.ends[w.ends.length - 1]! },
    pipeline,
    checks,
    warmStart: SHIPPED,
    out: join(dir, machine),
    id: `${machine}-v1`,
    falseAlarmsPerDay: FALSE_ALARMS_PER_DAY,
    debounce: DEBOUNCE,
    profile: null,
  };
}

/** Normal running through the gateway's detector (3 of 5, hysteresis) per scorer: machine alerts and every score. */
async function evaluate(s: Scenario, scorers: WindowScorer[]) {
  const detectors = scorers.map(
    (sc) =>
      new StreamDetector({ board: s.name, sensor: 'vib', scorer: sc, debounce: DEBOUNCE, now: () => 0 }),
  );
  const alerts = scorers.map(() => 0);
  const scores: number[][] = scorers.map(() => []);
  const { size, hop } = pipeline.window;
  let spanMs = 0;
  for (const rec of scenarioChunks(s, hop * 1200, size - hop, CHANNELS)) {
    const set = windowRecording(rec, pipeline, checks);
    const clean = set.features.map((_, w) => w).filter((w) => set.verdicts[w] === null);
    const batch = await Promise.all(scorers.map((sc) => sc.scoreBatch(clean.map((w) => set.features[w]!))));
    let k = 0;
    for (let w = 0; w < set.features.length; w++) {
      const win = { start: set.start[w]!, end: set.end[w]! };
      spanMs = set.end[w]!;
      const v = set.verdicts[w];
      for (let i = 0; i < scorers.length; i++) {
        const d = v ? detectors[i]!.sensorWindow(win, v) : detectors[i]!.scoredWindow(win, batch[i]![k]!);
        if (!v) scores[i]!.push(batch[i]![k]!);
        if (d.alert?.kind === 'machine') alerts[i]!++;
      }
      if (!v) k++;
    }
  }
  return { hours: spanMs / 3_600_000, alerts, scores };
}

async function windowScores(s: Scenario, scorers: WindowScorer[], keep: (endS: number) => boolean) {
  const { size, hop } = pipeline.window;
  const out: number[][] = scorers.map(() => []);
  for (const rec of scenarioChunks(s, hop * 1200, size - hop, CHANNELS)) {
    const set = windowRecording(rec, pipeline, checks);
    const idx = set.features
      .map((_, w) => w)
      .filter((w) => set.verdicts[w] === null && keep(set.end[w]! / 1000));
    for (let i = 0; i < scorers.length; i++) {
      const scores = await scorers[i]!.scoreBatch(idx.map((w) => set.features[w]!));
      for (const v of scores) out[i]!.push(v);
    }
  }
  return out;
}

/**
 * The normal stream through the gateway's own windower and detector, with a busy gateway's stalls: the
 * board keeps BACKLOG samples during a stall and sends them late (intact: it sampled at slot time); the
 * rest are lost. `reported`: the board's sample marks show where and how many (windower.markGap);
 * `unreported`: they are just missing, as from a board without a sample counter; `read-late`: a board that
 * reads its ADC when it gets round to a due slot (the host board before slot-time sampling) sends the
 * backlog as one value repeated, and the rest are missing.
 */
async function timingFaults(s: Scenario, scorer: WindowScorer, deliveries: Delivery[]) {
  const rng = new Rng(s.seed).fork('stalls');
  const rate = pipeline.sampleRateHz;
  let nextStall = rng.uniform(0, 2 * STALL_EVERY_S) * rate;
  let stalls = 0;
  let stallsLosingSamples = 0;
  let samplesLost = 0;
  let now = 0;
  // One stream per way of delivering, all fed from the same samples in one pass.
  const streams = deliveries.map((delivery) => {
    const alerts = { machine: 0, dataQuality: 0 };
    const live = new LiveDetection({
      scorer,
      pipeline,
      checks,
      now: () => Math.round(now),
      detector: { debounce: DEBOUNCE },
      onAlert: (a) => {
        if (a.kind === 'machine') alerts.machine++;
        if (a.kind === 'data-quality') alerts.dataQuality++;
      },
    });
    return { delivery, alerts, live, windower: new StreamWindower(pipeline, CHANNELS), skip: 0 };
  });
  const push = (st: (typeof streams)[number], data: Float64Array[], i: number) => {
    for (let c = 0; c < data.length; c++) {
      const w = st.windower.push(c, data[c]![i]!, now);
      if (w) st.live.submit(s.name, 'vib', w);
    }
  };
  let sample = 0;
  const { hop } = pipeline.window;
  for (const rec of scenarioChunks(s, hop * 1200, 0, CHANNELS)) {
    const data = CHANNELS.map((c) => rec.columns.get(c)!);
    for (let i = 0; i < rec.t.length; i++, sample++) {
      now = rec.t[i]! * 1000;
      if (sample >= nextStall) {
        stalls++;
        const stallS = Math.exp(rng.uniform(Math.log(STALL_S[0]), Math.log(STALL_S[1])));
        const due = Math.round(stallS * rate);
        const lost = Math.max(0, due - BACKLOG);
        samplesLost += lost;
        if (lost > 0) stallsLosingSamples++;
        for (const st of streams) {
          if (st.delivery === 'read-late') {
            // Every slot that came due during the stall is read at once, after it: one value, repeated.
            for (let k = 0; k < due - lost; k++) push(st, data, i);
            st.skip = due;
          } else {
            st.skip = lost;
            if (lost > 0 && st.delivery === 'reported') st.windower.markGap(lost);
          }
        }
        nextStall = sample + rng.uniform(0, 2 * STALL_EVERY_S) * rate;
      }
      for (const st of streams) {
        if (st.skip > 0) st.skip--;
        else push(st, data, i);
      }
    }
    await Promise.all(streams.map((st) => st.live.drain()));
  }
  return Object.fromEntries(
    streams.map((st) => [
      st.delivery,
      {
        stalls,
        stallsLosingSamples,
        samplesLost,
        machineAlerts: st.alerts.machine,
        dataQualityAlerts: st.alerts.dataQuality,
        windowsNotScored: st.live.gaps,
        windowsScored: st.live.scored,
      },
    ]),
  ) as Record<Delivery, TimingResult>;
}

interface TimingResult {
  stalls: number;
  stallsLosingSamples: number;
  samplesLost: number;
  machineAlerts: number;
  dataQualityAlerts: number;
  windowsNotScored: number;
  windowsScored: number;
}

/**
 * The other boards while one learns its model. Paced: BOARDS boards each hand over a window every hop (as
 * a 1 kHz board does), and windows decided per second and the decision delay are measured before and during
 * the learning. Capacity: the same boards' windows as fast as the gateway's thread can take them. Each with
 * the learning in the worker thread (what the gateway does) and on the gateway's own thread (the peer).
 */
async function measureThroughput(input: LearnModelInput, scorer: WindowScorer) {
  const raw = scenarioRecording(
    scenario('throughput', machineFamily(2, 7)[1]!.machine, 404, 60),
    CHANNELS,
  ).recording;
  const { size, hop } = pipeline.window;
  const windows = Array.from({ length: 64 }, (_, k) => ({
    channels: CHANNELS.map((c) => Float64Array.from(raw.columns.get(c)!.subarray(k * hop, k * hop + size))),
    start: 0,
    end: 0,
    lastSeq: 0,
  }));
  const hopMs = (1000 * hop) / pipeline.sampleRateHz;
  let seq = 0;
  const submittedAt = new Map<number, number>();
  const delays: number[] = [];
  let decided = 0;
  const live = new LiveDetection({
    scorer,
    pipeline,
    checks,
    onAlert: () => {},
    onDecision: (d) => {
      decided++;
      const t = submittedAt.get(d.window.end);
      if (t !== undefined) {
        delays.push(d.decidedAt - t);
        submittedAt.delete(d.window.end);
      }
    },
  });
  const submit = (dueAt = performance.now()) => {
    for (let b = 0; b < BOARDS; b++) {
      const end = ++seq;
      submittedAt.set(end, dueAt);
      live.submit(`board-${b}`, 'vib', { ...windows[end % 64]!, start: end - 1, end });
    }
  };
  // Boards at their own pace for `seconds`, or until `until` says stop. A window is due every hop whether or
  // not the thread is free (a board's bytes wait in the serial buffer): its delay counts from when it was due.
  const paced = async (seconds: number, until: () => boolean = () => false) => {
    decided = 0;
    delays.length = 0;
    const t0 = performance.now();
    let due = t0 + hopMs;
    let expected = 0;
    while (performance.now() - t0 < seconds * 1000 && !until()) {
      while (performance.now() >= due) {
        submit(due);
        expected += BOARDS;
        due += hopMs;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await live.drain();
    const s = (performance.now() - t0) / 1000;
    const sorted = [...delays].sort((a, b) => a - b);
    return {
      windowsPerS: round(decided / s, 2),
      expectedPerS: round(expected / s, 2),
      delayP99Ms: round(sorted[Math.floor(0.99 * (sorted.length - 1))] ?? Number.NaN, 1),
      delayMaxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 1),
      seconds: round(s, 1),
    };
  };
  // As fast as the thread goes (yielding to I/O between batches, as it does between serial reads).
  const capacity = async (seconds: number, until: () => boolean = () => false) => {
    decided = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000 && !until()) {
      submit();
      await live.drain();
      await new Promise((r) => setImmediate(r));
    }
    return round(decided / ((performance.now() - t0) / 1000), 1);
  };
  const whileLearning = async <T>(
    learn: () => Promise<unknown>,
    measure: (until: () => boolean) => Promise<T>,
  ) => {
    let done = false;
    const job = learn().finally(() => {
      done = true;
    });
    const r = await measure(() => done);
    await job;
    return r;
  };
  let n = 0;
  // One learning takes about a second here: learn again and again for throughputS, so the figure is not one blip.
  const repeatFor = async (learnOnce: () => Promise<unknown>) => {
    const t0 = performance.now();
    let times = 0;
    while (performance.now() - t0 < SIZES.throughputS * 1000) {
      await learnOnce();
      times++;
    }
    return times;
  };
  const inWorker = () => repeatFor(() => learnInWorker({ ...input, out: `${input.out}-w${n++}` }).result);
  const onMain = () => repeatFor(() => learnModel({ ...input, out: `${input.out}-m${n++}` }));

  const pacedBefore = await paced(SIZES.throughputS);
  const pacedWorker = await whileLearning(inWorker, (until) => paced(600, until));
  const pacedMain = await whileLearning(onMain, (until) => paced(600, until));
  const capBefore = await capacity(SIZES.throughputS);
  const capWorker = await whileLearning(inWorker, (until) => capacity(600, until));
  const capMain = await whileLearning(onMain, (until) => capacity(600, until));
  const learned = await learnInWorker(input).result;
  return {
    learned,
    boards: BOARDS,
    paced: {
      before: pacedBefore,
      // ratio: windows decided per window due (1.0: none lost); vsBefore: the rate against before learning.
      duringWorkerLearning: {
        ...pacedWorker,
        ratio: round(pacedWorker.windowsPerS / pacedWorker.expectedPerS, 3),
        vsBefore: round(pacedWorker.windowsPerS / pacedBefore.windowsPerS, 3),
      },
      duringMainThreadLearning: {
        ...pacedMain,
        ratio: round(pacedMain.windowsPerS / pacedMain.expectedPerS, 3),
        vsBefore: round(pacedMain.windowsPerS / pacedBefore.windowsPerS, 3),
      },
    },
    capacity: {
      before: capBefore,
      duringWorkerLearning: { rate: capWorker, ratio: round(capWorker / capBefore, 3) },
      duringMainThreadLearning: { rate: capMain, ratio: round(capMain / capBefore, 3) },
    },
  };
}

// The chance a fault window scores above a normal one (ties count half): the project's rank AUC.
function auc(pos: number[], neg: number[]): number {
  return rocAuc([...pos, ...neg], [...pos.map(() => true), ...neg.map(() => false)]);
}

function round(x: number, d = 4): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
