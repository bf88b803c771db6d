import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TinygateError } from '../errors/index.js';
import { AdcSpec, SensorSpec } from '../sensing/specs.js';

export const MACHINE_FAULTS = [
  'imbalance',
  'misalignment',
  'looseness',
  'bearing-outer-race',
  'bearing-inner-race',
  'overheating',
] as const;
export type MachineFaultKind = (typeof MACHINE_FAULTS)[number];

export const SENSOR_FAULTS = ['dropout', 'stuck', 'spikes'] as const;
export type SensorFaultKind = (typeof SENSOR_FAULTS)[number];

/** Named severities: "moderate" is where the quality goals are judged. */
export const SEVERITY = { mild: 0.25, moderate: 0.5, severe: 1 } as const;

const Severity = z.union([z.number().min(0).max(1), z.enum(['mild', 'moderate', 'severe'])]);

export const MachineFault = z.object({
  kind: z.enum(MACHINE_FAULTS),
  /** Seconds from the start when the fault begins to grow. */
  onsetS: z.number().min(0),
  /** Seconds it takes to grow from nothing to `severity`. */
  rampS: z.number().min(0).default(60),
  /** Final severity, 0…1 (1 is a machine that should be stopped). */
  severity: Severity.default('moderate'),
});

export const SensorFault = z.object({
  kind: z.enum(SENSOR_FAULTS),
  /** A sensor name ("vib") for all its channels, or one channel ("vib.x"). */
  target: z.string(),
  onsetS: z.number().min(0),
  durationS: z.number().positive(),
  /** Spikes only: isolated bad samples per second. */
  ratePerS: z.number().positive().default(4),
});

const Load = z.object({
  /** Load (0…1 of rated) at the start. */
  start: z.number().min(0).max(1).default(0.6),
  min: z.number().min(0).max(1).default(0.3),
  max: z.number().min(0).max(1).default(1),
  /** Mean seconds between load changes (exponentially distributed); 0 keeps the load constant. */
  meanHoldS: z.number().min(0).default(90),
  /** Time constant of the machine following a new load, s. */
  followS: z.number().positive().default(4),
});

export const MachineSpec = z.object({
  /** Synchronous speed of the motor, Hz (a 4-pole motor on 60 Hz mains: 30 Hz = 1800 rpm). */
  syncHz: z.number().positive().default(30),
  /** Mains frequency: magnetic forces shake the stator at twice it. */
  lineHz: z.number().positive().default(60),
  /** Slip at full load (fraction of sync speed); speed falls with load. */
  ratedSlip: z.number().min(0).max(0.1).default(0.017),
  load: Load.default(Load.parse({})),
  /** Healthy residual 1× (unbalance) amplitude, g. */
  residual1xG: z.number().min(0).default(0.05),
  /** Healthy 2× amplitude, g. */
  residual2xG: z.number().min(0).default(0.02),
  /** Stator vibration at 2 × line frequency at full load, g. */
  magnetic2fG: z.number().min(0).default(0.03),
  /** Broadband (flow, friction) noise, g RMS at full load. */
  noiseG: z.number().min(0).default(0.04),
  /** Structural resonance the bearing impacts ring at; kept under the Nyquist frequency of the ADC rate. */
  resonanceHz: z.number().positive().default(380),
  resonanceDamping: z.number().positive().max(0.5).default(0.05),
  bearing: z
    .object({
      balls: z.number().int().positive(),
      ballDiameterMm: z.number().positive(),
      pitchDiameterMm: z.number().positive(),
      contactAngleDeg: z.number().min(0).max(45),
    })
    .default({ balls: 9, ballDiameterMm: 7.94, pitchDiameterMm: 39.04, contactAngleDeg: 0 }),
  thermal: z
    .object({
      ambientC: z.number().default(22),
      /** Daily ambient swing (peak), °C. */
      ambientSwingC: z.number().min(0).default(3),
      /** Housing temperature rise over ambient at full load, °C. */
      riseAtFullLoadC: z.number().min(0).default(18),
      timeConstantS: z.number().positive().default(600),
    })
    .default({ ambientC: 22, ambientSwingC: 3, riseAtFullLoadC: 18, timeConstantS: 600 }),
});
export type MachineSpec = z.infer<typeof MachineSpec>;

const DEFAULT_SENSORS: z.input<typeof SensorSpec>[] = [
  { type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'], supplyV: 3.3 },
  { type: 'thermometer', controller: 'LM35', name: 'temp', pin: 'A3' },
  { type: 'accelerometer', controller: 'MPU6050', name: 'imu' },
  { type: 'thermometer', controller: 'MPU6050', name: 'imu_temp' },
  { type: 'thermometer', controller: 'BME280', name: 'ambient' },
];

export const Scenario = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().min(0).default(1),
  durationS: z.number().positive(),
  /** Rows per second written (and samples per second generated). */
  rateHz: z.number().positive().max(20_000).default(1000),
  /** Epoch ms of the first row, for labelled recordings; the virtual board replays from its own start. */
  startEpochMs: z.number().default(Date.UTC(2025, 0, 1)),
  machine: MachineSpec.default(MachineSpec.parse({})),
  adc: AdcSpec.default({ vref: 5, bits: 10 }),
  sensors: z
    .array(SensorSpec)
    .min(1)
    .default(DEFAULT_SENSORS.map((s) => SensorSpec.parse(s))),
  faults: z.array(MachineFault).default([]),
  sensorFaults: z.array(SensorFault).default([]),
});
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

/** Validate a scenario object; errors name the field. */
export function parseScenario(input: unknown, where = 'scenario'): Scenario {
  const r = Scenario.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TinygateError(
      'SCENARIO_INVALID',
      `${where}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
      { hint: 'See docs/detection.md ("Scenario files") for the fields and their units.' },
    );
  }
  return r.data;
}

/** Read a scenario from a .yaml/.yml/.json file. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TinygateError('SCENARIO_UNREADABLE', `${file}: cannot read the scenario file`, {
      hint: 'Check the path, or name a shipped scenario (tinygate sim data --list).',
      cause,
    });
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new TinygateError(
      'SCENARIO_INVALID',
      `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      {
        hint: 'Fix the syntax; scenario files are YAML or JSON.',
        cause,
      },
    );
  }
  return parseScenario(doc, file);
}

/** Severity name or number → 0…1. */
export function severityValue(s: z.infer<typeof Severity>): number {
  return typeof s === 'number' ? s : SEVERITY[s];
}
