// Detection quality and throughput, float autoencoder and baseline side by side, fixed seeds.
// Prints one JSON document on stdout; progress on stderr. `BENCH_QUICK=1` shrinks every run (for a smoke test).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { convertModel } from '../src/convert/index.js';
import { FloatAutoencoderScorer } from '../src/detect/float-scorer.js';
import {
  BaselineScorer,
  type EvalReport,
  Evaluator,
  Int8AutoencoderScorer,
  int8Description,
  LiveDetection,
  MODEL_FILES,
  type ModelSidecar,
  percentile,
  type WindowScorer,
  windowRecording,
} from '../src/detect/index.js';
import { trainModel } from '../src/detect/train.js';
import { BoardSession, type SensorSpecInput, StreamWindower } from '../src/sensing/index.js';
import {
  parseScenario,
  type ScenarioInput,
  SimClock,
  scenarioChunks,
  scenarioRecording,
  VirtualFirmataBoard,
} from '../src/sim/index.js';

const QUICK = process.env.BENCH_QUICK === '1';
const log = (s: string) => process.stderr.write(`detect: ${s}\n`);

const CHANNELS = ['vib.x', 'vib.y', 'vib.z'];
const SENSORS: SensorSpecInput[] = [
  { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'], supplyV: 3.3 },
];
const scenario = (s: Omit<ScenarioInput, 'sensors'>) => parseScenario({ ...s, sensors: SENSORS });

const SIZES = QUICK
  ? { trainS: 300, faultS: 240, onsetS: 60, rampS: 60, normalS: 1800, sensorS: 90, boards: 4, measureS: 5 }
  : {
      trainS: 1800,
      faultS: 900,
      onsetS: 300,
      rampS: 300,
      normalS: 86_400,
      sensorS: 150,
      boards: 32,
      measureS: 30,
    };
const FAULTS = ['bearing-outer-race', 'imbalance', 'misalignment'] as const;
const FAULT_SEEDS = [201, 202];

const dir = mkdtempSync(join(tmpdir(), 'tg-bench-detect-'));
try {
  const out = await run();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function run() {
  // 1. Train on healthy data (in memory, same values `tinygate sim data` writes).
  log(`training on ${SIZES.trainS} s of healthy data`);
  const healthy = scenario({ name: 'bench-healthy', seed: 101, durationS: SIZES.trainS });
  const trainData = scenarioRecording(healthy, CHANNELS);
  const t0 = performance.now();
  const trained = await trainModel({
    data: trainData,
    out: join(dir, 'model'),
    id: 'bench-vib',
    channels: CHANNELS,
  });
  const trainMs = performance.now() - t0;
  const float = await FloatAutoencoderScorer.fromDir(join(dir, 'model'));
  const sidecar = float.loaded.sidecar;
  const trainWindows = windowRecording(trainData.recording, sidecar.features, sidecar.checks).features;
  // The int8 conversion the gateway runs by default, calibrated on the training windows.
  log('converting to int8');
  const converted = await convertModel({
    model: join(dir, 'model'),
    calib: '(training windows)',
    calibSamples: trainWindows.map((f) => float.normalize(f)),
    description: int8Description(sidecar),
  });
  writeFileSync(join(dir, 'model', MODEL_FILES.int8), converted.bytes);
  const int8 = await Int8AutoencoderScorer.open(join(dir, 'model'));
  // The baseline learns the same healthy data first, so both start from the same knowledge.
  const warmBaseline = () => {
    const b = new BaselineScorer();
    b.scoreBatch(trainWindows);
    return b;
  };

  // 2. Machine faults at moderate severity.
  const faults: Record<string, ReturnType<typeof summarizeFaultRuns>> = {};
  for (const kind of FAULTS) {
    const runs = [];
    for (const seed of FAULT_SEEDS) {
      log(`${kind} seed ${seed}`);
      const s = scenario({
        name: kind,
        seed,
        durationS: SIZES.faultS,
        faults: [{ kind, onsetS: SIZES.onsetS, rampS: SIZES.rampS, severity: 'moderate' }],
      });
      runs.push(await evaluateScenario(s, [float, warmBaseline(), int8]));
    }
    faults[kind] = summarizeFaultRuns(runs);
  }

  // 3. False alarms on a day of normal data (a different seed from training), in 10-minute chunks.
  log(`false alarms on ${SIZES.normalS / 3600} h of normal data`);
  const normal = scenario({ name: 'bench-normal', seed: 301, durationS: SIZES.normalS });
  const normalReport = await evaluateScenario(normal, [float, warmBaseline(), int8], true);

  // 4. Sensor faults on a healthy machine: every kind on every axis, two seeds.
  log('sensor faults');
  const sensorRuns: EvalReport[] = [];
  for (const kind of ['dropout', 'stuck', 'spikes'] as const) {
    for (const target of CHANNELS) {
      for (const seed of [401, 402]) {
        const s = scenario({
          name: `sensor-${kind}`,
          seed: seed + CHANNELS.indexOf(target) * 10,
          durationS: SIZES.sensorS,
          sensorFaults: [{ kind, target, onsetS: 30, durationS: SIZES.sensorS - 60, ratePerS: 4 }],
        });
        sensorRuns.push(await evaluateScenario(s, [float, warmBaseline(), int8]));
      }
    }
  }

  // 5. Throughput: boards × 3 channels × 1 kHz through firmata-io and johnny-five, live detection.
  const throughput = {
    float: await throughputRun(float, sidecar),
    int8: await throughputRun(int8, sidecar),
    baseline: await throughputRun(new BaselineScorer(), sidecar),
  };
  float.dispose();
  int8.dispose();

  const quality = (i: number) => ({
    faults: Object.fromEntries(Object.entries(faults).map(([k, v]) => [k, v[i]!])),
    normal: {
      hours: normalReport.scorers[i]!.falseAlarms.normalHours,
      falseMachineAlerts: normalReport.scorers[i]!.falseAlarms.machine,
      falseMachineAlertsPer24h: normalReport.scorers[i]!.falseAlarms.machinePer24h,
      falseSensorAlerts: normalReport.scorers[i]!.falseAlarms.sensor,
      windowsFlaggedBySensorChecks: normalReport.windows.sensorFlagged,
    },
    sensorFaults: sumSensor(sensorRuns.map((r) => r.scorers[i]!.sensorFaults)),
  });
  const q = { float: quality(0), baseline: quality(1), int8: quality(2) };
  return {
    quick: QUICK,
    settings: {
      channels: CHANNELS,
      sampleRateHz: sidecar.features.sampleRateHz,
      window: sidecar.features.window,
      debounce: '3 of 5 windows; clears after 5 windows below 0.8 × threshold',
      positiveFrom: 0.5,
      sizes: SIZES,
      seeds: { train: 101, faults: FAULT_SEEDS, normal: 301, sensorFaults: [401, 402] },
    },
    model: {
      id: trained.id,
      hash: trained.hash,
      features: trained.features.length,
      hidden: sidecar.model.hidden,
      parameters: sidecar.model.parameters,
      epochs: trained.epochs,
      threshold: trained.threshold,
      trainSeconds: trainMs / 1000,
      backend: trained.backend,
    },
    quality: q,
    throughput,
    goals: goals(q, throughput),
  };
}

async function evaluateScenario(s: ReturnType<typeof scenario>, scorers: WindowScorer[], chunked = false) {
  const sc = (scorers[0] as FloatAutoencoderScorer).loaded.sidecar;
  const e = new Evaluator(scorers, { positiveFrom: 0.5 });
  const { size, hop } = sc.features.window;
  const chunkRows = chunked ? hop * 1200 : Math.round(s.durationS * s.rateHz);
  let done = 0;
  for (const rec of scenarioChunks(s, chunkRows, size - hop, CHANNELS)) {
    await e.add(windowRecording(rec, sc.features, sc.checks));
    done += rec.t.length;
    if (chunked) log(`  ${(rec.t[rec.t.length - 1]! / 3600).toFixed(2)} h`);
  }
  void done;
  return e.finish();
}

function summarizeFaultRuns(runs: EvalReport[]) {
  return runs[0]!.scorers.map((_, i) => {
    const r = runs.map((x) => x.scorers[i]!);
    const delays = r.flatMap((x) => x.detection.map((d) => d.delayWindows));
    return {
      auc: Math.min(...r.map((x) => x.auc)),
      aucPerSeed: r.map((x) => x.auc),
      f1: Math.min(...r.map((x) => x.f1)),
      precision: Math.min(...r.map((x) => x.precision)),
      recall: Math.min(...r.map((x) => x.recall)),
      // Windows from the fault reaching moderate severity to the alert; negative = raised before.
      detectionDelayWindows: delays,
      alertBeforeModerateS: r.flatMap((x) =>
        x.detection.map((d) => (d.alertS !== null && d.moderateS !== null ? d.moderateS - d.alertS : null)),
      ),
      falseMachineAlertsBeforeOnset: r.reduce((a, x) => a + x.falseAlarms.machine, 0),
      windows: runs.map((x) => x.windows),
    };
  });
}

function sumSensor(list: EvalReport['scorers'][number]['sensorFaults'][]) {
  const s = {
    windows: 0,
    asSensor: 0,
    asMachine: 0,
    missed: 0,
    episodes: 0,
    withSensorAlert: 0,
    withMachineAlert: 0,
  };
  for (const x of list) {
    s.windows += x.windows;
    s.asSensor += x.asSensor;
    s.asMachine += x.asMachine;
    s.missed += x.missed;
    s.episodes += x.episodes;
    s.withSensorAlert += x.episodesWithSensorAlert;
    s.withMachineAlert += x.episodesWithMachineAlert;
  }
  return {
    ...s,
    windowRate: s.asSensor / s.windows,
    episodeRate: s.withSensorAlert / s.episodes,
    episodesAlsoRaisingMachineAlert: s.withMachineAlert,
  };
}

async function throughputRun(scorer: WindowScorer, sc: ModelSidecar) {
  const nBoards = SIZES.boards;
  log(`throughput: ${nBoards} boards × 3 channels × 1 kHz, ${scorer.kind} scorer`);
  const clock = new SimClock(1);
  const boards: VirtualFirmataBoard[] = [];
  const sessions: BoardSession[] = [];
  const windowLatency: number[] = [];
  const alertLatency: number[] = [];
  const arrival: number[] = [];
  const decision: number[] = [];
  let measuring = false;
  let decided = 0;
  const live = new LiveDetection({
    scorer,
    pipeline: sc.features,
    checks: sc.checks,
    onAlert: () => {},
    onDecision: (d) => {
      if (!measuring) return;
      const b = boards[Number(d.board.slice(6))]!;
      const produced = b.startedAt + b.analogSampleTime(0, d.window.lastSeq);
      const lat = d.decidedAt - produced;
      windowLatency.push(lat);
      // Split: sample taken → reached the gateway (board tick, Firmata bytes, johnny-five), → decided.
      const arrived = d.window.end - performance.timeOrigin;
      arrival.push(arrived - produced);
      decision.push(d.decidedAt - arrived);
      decided++;
      if (d.alert?.kind === 'machine') alertLatency.push(lat);
    },
  });
  for (let b = 0; b < nBoards; b++) {
    // A quarter of the machines develop a severe bearing fault a few seconds in, so alerts happen.
    const s = scenario({
      name: `board-${b}`,
      seed: 1000 + b,
      durationS: 600,
      faults:
        b % 4 === 0
          ? [{ kind: 'bearing-outer-race', onsetS: 8 + (b % 8), rampS: 0, severity: 'severe' }]
          : [],
    });
    const id = `board-${String(b).padStart(2, '0')}`;
    const windower = new StreamWindower(sc.features, CHANNELS);
    const session: BoardSession = new BoardSession({
      config: { id, samplingRateHz: 1000, sensors: SENSORS },
      openTransport: () => {
        const vb = new VirtualFirmataBoard({ scenario: s, clock });
        boards[b] = vb;
        return vb.transport;
      },
      onSample: (ch, v, ts) => {
        const w = windower.push(ch, v, ts);
        if (w) live.submit(id, 'vib', w);
      },
    });
    sessions.push(session);
    session.start();
  }
  await Promise.all(sessions.map((s) => s.waitFor('streaming', 30_000)));
  await sleep(QUICK ? 2000 : 6000);
  const count0 = sessions.reduce((a, s) => a + s.counts.reduce((x, y) => x + y, 0), 0);
  const timing0 = { ...live.timing };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  measuring = true;
  await sleep(SIZES.measureS * 1000);
  measuring = false;
  const wallS = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const samples = sessions.reduce((a, s) => a + s.counts.reduce((x, y) => x + y, 0), 0) - count0;
  const overruns = boards.reduce((a, b) => a + b.overruns, 0);
  const reconnects = sessions.reduce((a, s) => a + s.reconnects, 0);
  await Promise.all(sessions.map((s) => s.stop()));
  await live.drain();
  const pct = (xs: number[], p: number) => (xs.length ? percentile(xs, p) : null);
  const perS = (ms: number) => ms / wallS;
  return {
    boards: nBoards,
    channels: 3,
    rateHz: 1000,
    measuredSeconds: wallS,
    samplesPerSecond: samples / wallS,
    expectedSamplesPerSecond: nBoards * 3 * 1000,
    windowsPerSecond: decided / wallS,
    expectedWindowsPerSecond: (nBoards * 1000) / sc.features.window.hop,
    windowLatencyMs: {
      p50: pct(windowLatency, 50),
      p90: pct(windowLatency, 90),
      p99: pct(windowLatency, 99),
      max: pct(windowLatency, 100),
      n: windowLatency.length,
    },
    windowLatencySplitMs: {
      sampleToGateway: { p50: pct(arrival, 50), p99: pct(arrival, 99) },
      gatewayToDecision: { p50: pct(decision, 50), p99: pct(decision, 99) },
    },
    alertLatencyMs: {
      p50: pct(alertLatency, 50),
      p99: pct(alertLatency, 99),
      max: pct(alertLatency, 100),
      n: alertLatency.length,
    },
    cpuPercentOfOneCore: (100 * (cpu.user + cpu.system)) / 1000 / (wallS * 1000),
    eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    // Where the main thread's time went, ms per second of wall time.
    msPerSecond: {
      checksAndFeatures: perS(live.timing.checksAndFeaturesMs - timing0.checksAndFeaturesMs),
      scoring: perS(live.timing.scoringMs - timing0.scoringMs),
      scoringBatches: (live.timing.batches - timing0.batches) / wallS,
    },
    boardOverrunTicks: overruns,
    reconnects,
  };
}

interface QualityFigures {
  faults: Record<string, { auc: number; detectionDelayWindows: (number | null)[] }>;
  normal: { falseMachineAlertsPer24h: number };
  sensorFaults: { windowRate: number };
}

function goals(
  q: { float: QualityFigures; int8: QualityFigures },
  t: Record<string, Awaited<ReturnType<typeof throughputRun>>>,
) {
  const f = q.float;
  const aucs = Object.values(f.faults).map((x) => x.auc);
  const delays = Object.values(f.faults).flatMap((x) => x.detectionDelayWindows);
  return {
    floatAucAtLeast0_98: Math.min(...aucs) >= 0.98,
    int8AucWithin0_005OfFloat: Object.entries(f.faults).every(
      ([k, x]) => q.int8.faults[k]!.auc >= x.auc - 0.005,
    ),
    floatFalseAlarmsPer24hAtMost1: f.normal.falseMachineAlertsPer24h <= 1,
    floatDetectionWithin3WindowsOfModerate: delays.every((d) => d !== null && d <= 3),
    sensorFaultsClassifiedSensorAtLeast95pct: f.sensorFaults.windowRate >= 0.95,
    throughputFloatP99AtMost50ms: (t.float!.windowLatencyMs.p99 ?? Infinity) <= 50,
    throughputSustained:
      t.float!.samplesPerSecond >= 0.98 * t.float!.expectedSamplesPerSecond &&
      t.float!.boardOverrunTicks === 0,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
