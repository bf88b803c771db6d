/** A measured quantity a board reports, as Home Assistant and Sparkplug describe it. */
export interface SensorInfo {
  /** Key in `BoardState.sensors`, e.g. "vibration_rms". */
  name: string;
  /** Unit of measurement, e.g. "g", "°C", "A". */
  unit?: string;
  /** Home Assistant sensor device class when one fits (e.g. "temperature", "current"). */
  deviceClass?: string;
  /** The state also carries its RMS over the latest window (`rms[name]`): a moving signal, e.g. vibration. */
  rms?: boolean;
  /** Shown to people; defaults to `name`. */
  label?: string;
}

/** What the publisher needs to announce a board (HA device, Sparkplug device). */
export interface BoardInfo {
  /** Board id from the gateway config; used in topics. */
  id: string;
  /** Human name, e.g. "motor-1 (Nano 33 BLE)". Defaults to `id`. */
  name?: string;
  /** Board profile id, e.g. "arduino-nano-33-ble". */
  model?: string;
  /** The firmware it answered with, e.g. "tinygate-bridge 0.1" or "StandardFirmata.ino 2.5". */
  firmware?: string;
  sensors: SensorInfo[];
  /** The board learns its normal on site: announce its learning state and a re-learn button. */
  learns?: boolean;
  /** Its state carries `diagnostics`: announce them; `infersOnBoard` adds the board's inference time. */
  diagnostics?: boolean;
  infersOnBoard?: boolean;
}

/** A command that came in over MQTT for a board (its payload is JSON, `{}` when empty). */
export interface BoardCommand {
  board: string;
  command: string;
  payload: Record<string, unknown>;
}

/** Where a board's on-site learning stands, as its state carries it. */
export interface LearningState {
  state: 'learning' | 'training' | 'watching';
  /** Percent over learning and training. */
  progressPct: number;
  /** The learned model version in force (null: the configured model). */
  version: number | null;
}

/** The retained, latest-wins state of one board. */
export interface BoardState {
  anomaly: boolean;
  /** An operator acknowledged the latest machine alarm (null: none raised yet). */
  acknowledged?: boolean | null;
  /** The latest window's score; null before any window was scored (HA shows it as unknown). */
  score: number | null;
  threshold: number;
  /** Latest value of each sensor, keyed by `SensorInfo.name`. */
  sensors: Record<string, number>;
  /** Sensors in a sensor alarm now (stuck, dropped out, spiking): their values are not to be trusted. */
  faultySensors?: string[];
  /** RMS about the mean over the latest window, for sensors announced with `rms`. */
  rms?: Record<string, number>;
  /** Windows not scored for lost or late samples so far, and the board's mean inference time (µs). */
  diagnostics?: { dataQualityWindows: number; inferenceMicros: number | null };
  /** Epoch ms of the newest sample the state reflects. */
  ts: number;
  learning?: LearningState;
}
