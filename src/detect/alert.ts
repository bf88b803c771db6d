/**
 * What the detector raises and the publisher delivers. Consumers dedupe by `id` (a ULID),
 * so the same alert may be delivered more than once but never changes.
 */
export interface Alert {
  /** ULID: unique, sortable by creation time. */
  id: string;
  /** Board id from the gateway config. */
  board: string;
  /** Sensor (or channel group) the window came from. */
  sensor: string;
  /**
   * `machine`: the machine looks abnormal; `sensor`: the sensor itself misbehaves (dropout, stuck, spikes);
   * `data-quality`: samples were lost on the way (a stalled board or a busy gateway), windows not scored;
   * `drift`: the board's normal score level moved for hours without a machine alarm (re-learn?).
   */
  kind: 'machine' | 'sensor' | 'data-quality' | 'drift';
  /** Anomaly score of the window that tripped the detector, in the detector's own units. */
  score: number;
  threshold: number;
  /** Epoch ms of the first and last sample of the window that raised the alert. */
  window: { start: number; end: number };
  /** The model that scored it; `null` when the statistical baseline raised it. */
  model: { id: string; hash: string } | null;
  /** Epoch ms when the alert was raised. */
  ts: number;
  /** One human sentence, e.g. "vibration RMS 3.1x normal on motor-1". */
  message?: string;
}
