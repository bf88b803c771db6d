// Virtual boards and machine-signal scenarios for demos, tests and benchmarks.
// The AVR emulator (avr-board.ts) is not re-exported: avr8js is a devDependency, for tests and benches only.
export {
  BEARING_6205,
  type BearingFrequencies,
  type BearingGeometry,
  bearingFrequencies,
} from './bearing.js';
export { defaultClock, SimClock, type Ticking } from './clock.js';
export { LABEL_COLUMNS, type WriteScenarioResult, writeScenarioCsv } from './csv.js';
export { MachineModel, type MachineSample } from './machine.js';
export { type FamilyMember, machineFamily } from './machine-family.js';
export { Mpu6050Registers } from './mpu6050.js';
export { scenarioChunks, scenarioRecording } from './recording.js';
export { Rng } from './rng.js';
export {
  loadScenario,
  MACHINE_FAULTS,
  type MachineFaultKind,
  parseScenario,
  type Scenario,
  type ScenarioInput,
  SENSOR_FAULTS,
  SEVERITY,
  type SensorFaultKind,
  severityValue,
} from './scenario.js';
export { resolveScenario, SCENARIO_DIR, shippedScenarios } from './shipped.js';
export { BOARD_COLUMNS, type BoardColumn, ScenarioSignals } from './signals.js';
export { type VirtualBoardOptions, VirtualFirmataBoard } from './virtual-board.js';
