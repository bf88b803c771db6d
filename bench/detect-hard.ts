// Detection on machines the model was not trained on: train on one motor of a family (src/sim/machine-family),
// test on the others at mild, moderate and severe faults; AUC per severity and fault, false machine alerts
// per machine-day of normal running, and detection delay in seconds from onset; float and int8 side by side.
// Prints one JSON document; BENCH_QUICK=1 shrinks every run. bench/detect.ts keeps the same-machine figures.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../src/convert/index.js';
import { FloatAutoencoderScorer } from '../src/detect/float-scorer.js';
import {
  Evaluator,
  Int8AutoencoderScorer,
  int8Description,
  MODEL_FILES,
  type ModelSidecar,
  type WindowScorer,
  windowRecording,
} from '../src/detect/index.js';
import { tailQuantile } from '../src/detect/online/index.js';
import { trainModel } from '../src/detect/train.js';
import type { SensorSpecInput } from '../src/sensing/index.js';
import {
  machineFamily,
  parseScenario,
  type Scenario,
  SEVERITY,
  scenarioChunks,
  scenarioRecording,
} from '../src/sim/index.js';

const QUICK = process.env.BENCH_QUICK === '1';
const log = (s: string) => process.stderr.write(`detect-hard: ${s}\n`);
const CHANNELS = ['vib.x', 'vib.y', 'vib.z'];
const SENSORS: SensorSpecInput[] = [
  { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'], supplyV: 3.3 },
];
const FAULTS = ['bearing-outer-race', 'imbalance', 'misalignment'] as const;
/** Named severities plus two below mild: an easy bench says 1.000 everywhere; this one must find where it stops. */
const SEVERITIES = {
  faint: 0.05,
  slight: 0.1,
  mild: SEVERITY.mild,
  moderate: SEVERITY.moderate,
  severe: SEVERITY.severe,
};
type SeverityName = keyof typeof SEVERITIES;
const SEVERITY_NAMES = Object.keys(SEVERITIES) as SeverityName[];
const SIZES = QUICK
  ? { machines: 3, trainS: 300, normalS: 600, faultS: 240, onsetS: 90, rampS: 30, siteS: 300 }
  : { machines: 5, trainS: 1800, normalS: 3 * 3600, faultS: 300, onsetS: 150, rampS: 30, siteS: 1800 };
/** Per-window exceedance the site-calibrated threshold targets (≈ 1.7 windows a day at 2 windows/s, before debounce). */
const SITE_P = 1e-5;

const family = machineFamily(SIZES.machines, 7);
/** The trained model's sidecar: its features and checks cut every run's windows. */
let trainedSidecar: ModelSidecar | null = null;
const scenario = (
  name: string,
  machine: Scenario['machine'],
  seed: number,
  durationS: number,
  faults: Scenario['faults'] = [],
) => parseScenario({ name, seed, durationS, machine, sensors: SENSORS, faults });

const dir = mkdtempSync(join(tmpdir(), 'tg-bench-hard-'));
try {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function run() {
  const trainOn = family[0]!;
  log(`training on ${SIZES.trainS} s of ${trainOn.name} (${trainOn.description})`);
  const trainData = scenarioRecording(scenario('train', trainOn.machine, 101, SIZES.trainS), CHANNELS);
  const trained = await trainModel({
    data: trainData,
    out: join(dir, 'model'),
    id: 'hard',
    channels: CHANNELS,
  });
  const float = await FloatAutoencoderScorer.fromDir(join(dir, 'model'));
  const sc = float.loaded.sidecar;
  trainedSidecar = sc;
  const calib = windowRecording(trainData.recording, sc.features, sc.checks).features.map((f) =>
    float.normalize(f),
  );
  const converted = await convertModel({
    model: join(dir, 'model'),
    calib: '(training windows)',
    calibSamples: calib,
    description: int8Description(sc),
  });
  writeFileSync(join(dir, 'model', MODEL_FILES.int8), converted.bytes);
  const int8 = await Int8AutoencoderScorer.open(join(dir, 'model'));
  const scorers: WindowScorer[] = [float, int8];

  const machines: Machine[] = [];
  for (const m of family.slice(1)) {
    log(`${m.name}: ${m.description}`);
    const normalScenario = scenario(`${m.name}-normal`, m.machine, 301, SIZES.normalS);
    const normal = await evaluate(normalScenario, scorers, 0.5);
    // The same shipped model with its threshold set on site: from the machine's first SIZES.siteS of normal
    // running (another stretch than the one judged), at a per-window false-alarm rate.
    const site = await windowScores(
      scenario(`${m.name}-site`, m.machine, 302, SIZES.siteS),
      scorers,
      () => true,
    );
    const calibrated = scorers.map((sc, i) => withThreshold(sc, tailQuantile(site[i]!, SITE_P)));
    const normalCalibrated = await evaluate(normalScenario, calibrated, 0.5);
    // Negatives for AUC: this machine's normal running over hours (load changes included), not a few minutes.
    const negatives = await windowScores(normalScenario, scorers, () => true);
    const faults: Machine['faults'] = {};
    for (const kind of FAULTS) {
      faults[kind] = {};
      for (const sev of SEVERITY_NAMES) {
        const s = scenario(`${m.name}-${kind}-${sev}`, m.machine, 201, SIZES.faultS, [
          { kind, onsetS: SIZES.onsetS, rampS: SIZES.rampS, severity: SEVERITIES[sev] },
        ]);
        // Positive: windows at the run's final severity (after the ramp).
        const positives = await windowScores(s, scorers, (endS) => endS >= SIZES.onsetS + SIZES.rampS);
        const r = await evaluate(s, calibrated, SEVERITIES[sev] * 0.99);
        faults[kind]![sev] = {
          float: { auc: round(auc(positives[0]!, negatives[0]!)), delayS: delay(r.scorers[0]!) },
          int8: { auc: round(auc(positives[1]!, negatives[1]!)), delayS: delay(r.scorers[1]!) },
        };
      }
    }
    machines.push({
      name: m.name,
      description: m.description,
      siteThreshold: {
        float: round(calibrated[0]!.threshold),
        int8: round(calibrated[1]!.threshold),
        shipped: round(float.threshold),
      },
      normalSiteCalibrated: Object.fromEntries(
        normalCalibrated.scorers.map((x, i) => [
          i === 0 ? 'float' : 'int8',
          {
            hours: round(x.falseAlarms.normalHours, 2),
            falseMachineAlerts: x.falseAlarms.machine,
            per24h: round(x.falseAlarms.machinePer24h, 2),
          },
        ]),
      ),
      normal: Object.fromEntries(
        normal.scorers.map((x, i) => [
          i === 0 ? 'float' : 'int8',
          {
            hours: round(x.falseAlarms.normalHours, 2),
            falseMachineAlerts: x.falseAlarms.machine,
            per24h: round(x.falseAlarms.machinePer24h, 2),
          },
        ]),
      ),
      faults,
    });
  }
  float.dispose();
  int8.dispose();

  // Worst AUC over the unseen machines and fault kinds, per severity and arithmetic.
  const worst = Object.fromEntries(
    SEVERITY_NAMES.map((sev) => [
      sev,
      Object.fromEntries(
        (['float', 'int8'] as const).map((a) => [
          a,
          Math.min(
            ...machines.flatMap((m) =>
              FAULTS.map((k) => (m.faults[k]![sev] as Record<string, { auc: number }>)[a]!.auc),
            ),
          ),
        ]),
      ),
    ]),
  );
  const perDay = (a: 'float' | 'int8', which: 'normal' | 'normalSiteCalibrated' = 'normal') => {
    const hours = machines.reduce((s, m) => s + m[which][a]!.hours, 0);
    const alerts = machines.reduce((s, m) => s + m[which][a]!.falseMachineAlerts, 0);
    return {
      machineHours: round(hours, 2),
      falseMachineAlerts: alerts,
      perMachineDay: round((alerts * 24) / hours, 2),
    };
  };
  return {
    quick: QUICK,
    trainedOn: { machine: trainOn.name, description: trainOn.description, seconds: SIZES.trainS },
    model: {
      id: trained.id,
      features: trained.features.length,
      threshold: trained.threshold,
      picked: trained.picked,
    },
    severities: SEVERITIES,
    sizes: SIZES,
    worstAuc: worst,
    falseAlarms: { float: perDay('float'), int8: perDay('int8') },
    falseAlarmsSiteCalibrated: {
      targetPerWindow: SITE_P,
      calibrationS: SIZES.siteS,
      float: perDay('float', 'normalSiteCalibrated'),
      int8: perDay('int8', 'normalSiteCalibrated'),
    },
    goals: {
      int8AucModerate: { goal: 0.98, value: worst.moderate!.int8, met: worst.moderate!.int8! >= 0.98 },
      falseAlarmsPerMachineDay: {
        goal: 1,
        value: perDay('int8').perMachineDay,
        met: perDay('int8').perMachineDay <= 1,
      },
      falseAlarmsPerMachineDaySiteCalibrated: {
        goal: 1,
        value: perDay('int8', 'normalSiteCalibrated').perMachineDay,
        met: perDay('int8', 'normalSiteCalibrated').perMachineDay <= 1,
      },
    },
    machines,
    notSeen:
      'sensor faults in forms the checks do not test (drift, partial clipping, gain change) are not in this bench yet',
  };
}

interface Machine {
  name: string;
  description: string;
  siteThreshold: Record<string, number>;
  normalSiteCalibrated: Record<string, { hours: number; falseMachineAlerts: number; per24h: number }>;
  normal: Record<string, { hours: number; falseMachineAlerts: number; per24h: number }>;
  faults: Record<
    string,
    Partial<Record<SeverityName, Record<'float' | 'int8', { auc: number; delayS: number | null }>>>
  >;
}

// The scorer with another threshold (set on site); scores are the scorer's own.
function withThreshold(s: WindowScorer, threshold: number): WindowScorer {
  return { id: s.id, hash: s.hash, kind: s.kind, threshold, scoreBatch: (f) => s.scoreBatch(f) };
}

// Every scorer's scores of the scenario's windows whose end (s) passes `keep`.
async function windowScores(s: Scenario, scorers: WindowScorer[], keep: (endS: number) => boolean) {
  const sc = trainedSidecar!;
  const { size, hop } = sc.features.window;
  const out: number[][] = scorers.map(() => []);
  for (const rec of scenarioChunks(s, hop * 1200, size - hop, CHANNELS)) {
    const set = windowRecording(rec, sc.features, sc.checks);
    const idx = set.features
      .map((_, w) => w)
      .filter((w) => set.verdicts[w] === null && keep(set.end[w]! / 1000));
    for (let i = 0; i < scorers.length; i++) {
      const scores = await scorers[i]!.scoreBatch(idx.map((w) => set.features[w]!));
      out[i]!.push(...scores);
    }
  }
  return out;
}

// Mann-Whitney AUC: the chance a positive window scores above a negative one (ties count half).
function auc(pos: number[], neg: number[]): number {
  const all = [...pos.map((v) => ({ v, p: 1 })), ...neg.map((v) => ({ v, p: 0 }))].sort((a, b) => a.v - b.v);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSum += rank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

type ScorerReport = Awaited<ReturnType<typeof evaluate>>['scorers'][number];
function delay(x: ScorerReport): number | null {
  const d = x.detection[0];
  return d?.alertS != null ? round(d.alertS - d.onsetS, 1) : null;
}

async function evaluate(s: Scenario, scorers: WindowScorer[], positiveFrom: number) {
  const sc = trainedSidecar!;
  const e = new Evaluator(scorers, { positiveFrom });
  const { size, hop } = sc.features.window;
  for (const rec of scenarioChunks(s, hop * 1200, size - hop, CHANNELS))
    await e.add(windowRecording(rec, sc.features, sc.checks));
  return e.finish();
}

function round(x: number, d = 4): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
