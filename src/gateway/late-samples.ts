import type { SampleWindow } from '../sensing/index.js';

/** A window may take this much longer than its samples' own time before it counts as holding a gap. */
const SLACK = { ratio: 1.25, ms: 250 };

/**
 * Samples a window is missing, judged from when they arrived: a board without our sample counter
 * (StandardFirmata) that stalls simply takes no samples, so its window spans more gateway time than its
 * samples do. A window over `SLACK` is treated as holding a gap (0 when it does not). Late but complete
 * samples (a busy gateway, a board replaying its backlog) can be flagged too: such a window is not scored,
 * which costs a window, never a false machine alarm.
 */
export function samplesMissingByArrival(w: SampleWindow, size: number, rateHz: number): number {
  const expectedMs = ((size - 1) * 1000) / rateHz;
  const spanMs = w.end - w.start;
  if (spanMs <= expectedMs * SLACK.ratio + SLACK.ms) return 0;
  return Math.round(((spanMs - expectedMs) * rateHz) / 1000);
}
