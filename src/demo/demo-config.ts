import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatewayConfig } from '../gateway/config.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The project root: the demo's model and scenarios ship in the package. */
const root = join(here, '..', '..');

export const DEMO_SCENARIO_DIR = join(here, 'scenarios');
export const DEMO_MODEL_DIR = join(root, 'models', 'motor-vib');

/** Each demo machine learns its normal this long (and over at least 100 windows, ~50 s) before it is watched. */
export const DEMO_LEARN_S = 30;

/** The three demo boards: two healthy machines and one whose bearing starts failing at 75 s, after learning. */
export const DEMO_BOARDS = [
  { id: 'line-1', name: 'Conveyor motor (line 1)', scenario: 'line-1-healthy.yaml', faulty: false },
  { id: 'pump-2', name: 'Pump motor (station 2)', scenario: 'pump-2-healthy.yaml', faulty: false },
  { id: 'fan-3', name: 'Exhaust fan motor (bay 3)', scenario: 'fan-3-bearing-fault.yaml', faulty: true },
] as const;

export interface DemoOptions {
  dataDir: string;
  /** Embedded broker port (0 = a free one). */
  mqttPort: number;
  /** Dashboard port (0 = a free one); null turns the dashboard off. */
  dashboardPort: number | null;
  /** `host`: the C firmware bridge on a pty; `js`: in-memory virtual boards. */
  firmware: 'host' | 'js';
}

/** The gateway config `tinygate demo` runs: what a user would write for three vibration-monitored motors. */
export function demoConfig(o: DemoOptions): GatewayConfig {
  return GatewayConfig.parse({
    gateway: { id: 'demo', dataDir: o.dataDir },
    boards: DEMO_BOARDS.map((b) => ({
      id: b.id,
      name: b.name,
      profile: 'virtual-host',
      virtual: { scenario: join(DEMO_SCENARIO_DIR, b.scenario), firmware: o.firmware },
      samplingRateHz: 1000,
      // An ADXL335-style analog accelerometer on A0–A2, as the shipped motor-vib model was trained on.
      sensors: [{ type: 'accelerometer', controller: 'ADXL335', name: 'vib', pins: ['A0', 'A1', 'A2'] }],
      model: DEMO_MODEL_DIR,
      inference: 'gateway',
      // Each machine learns its own normal, starting from the shipped model (which was trained on another motor).
      learn: { seconds: DEMO_LEARN_S },
    })),
    mqtt: { embedded: { port: o.mqttPort }, journal: { path: join(o.dataDir, 'journal') } },
    dashboard:
      o.dashboardPort === null
        ? { enabled: false }
        : { enabled: true, host: '127.0.0.1', port: o.dashboardPort },
  });
}
