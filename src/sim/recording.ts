import { channelMeta } from '../sensing/channels.js';
import type { Recording, RecordingMeta } from '../sensing/recording.js';
import type { Scenario } from './scenario.js';
import { ScenarioSignals } from './signals.js';

/**
 * A scenario as in-memory recordings of its gateway-side channels and labels, in chunks of `rows`,
 * each starting `overlap` rows before the previous one ended (so windows spanning chunks are not lost).
 * The same values `tinygate sim data` writes, without the CSV round trip; for days of data in benchmarks.
 */
export function* scenarioChunks(
  scenario: Scenario,
  rows: number,
  overlap = 0,
  channels?: string[],
): Generator<Recording> {
  const sig = new ScenarioSignals(scenario);
  const names = channels ?? sig.channels.map((c) => c.name);
  const idx = names.map((n) => sig.channels.findIndex((c) => c.name === n));
  let prev: Recording | null = null;
  let done = 0;
  while (done < sig.length) {
    const fresh = Math.min(rows - (prev ? overlap : 0), sig.length - done);
    const keep = prev ? overlap : 0;
    const n = keep + fresh;
    const t = new Float64Array(n);
    const cols = names.map(() => new Float64Array(n));
    const severity = new Float64Array(n);
    const fault: string[] = new Array(n);
    const sensorFault: string[] = new Array(n);
    if (prev) {
      const from = prev.t.length - keep;
      t.set(prev.t.subarray(from));
      for (let c = 0; c < names.length; c++) cols[c]!.set(prev.columns.get(names[c]!)!.subarray(from));
      severity.set(prev.columns.get('severity')!.subarray(from));
      for (let i = 0; i < keep; i++) {
        fault[i] = prev.labels.get('fault')![from + i]!;
        sensorFault[i] = prev.labels.get('sensor_fault')![from + i]!;
      }
    }
    for (let r = keep; r < n; r++) {
      sig.step();
      t[r] = sig.t;
      for (let c = 0; c < idx.length; c++) cols[c]![r] = sig.values[idx[c]!]!;
      const m = sig.machine.sample;
      severity[r] = m.severity;
      fault[r] = m.fault ?? 'none';
      sensorFault[r] = sig.sensorFault || 'none';
    }
    done += fresh;
    const columns = new Map<string, Float64Array>(names.map((name, c) => [name, cols[c]!]));
    columns.set('severity', severity);
    const rec: Recording = {
      file: `scenario:${scenario.name}`,
      t,
      columns,
      labels: new Map([
        ['fault', fault],
        ['sensor_fault', sensorFault],
      ]),
      rateHz: scenario.rateHz,
    };
    prev = rec;
    yield rec;
  }
}

/** The whole scenario as one in-memory recording, with its channel sidecar. */
export function scenarioRecording(
  scenario: Scenario,
  channels?: string[],
): { recording: Recording; meta: RecordingMeta } {
  const sig = new ScenarioSignals(scenario);
  const total = sig.length;
  const [recording] = scenarioChunks(scenario, total, 0, channels);
  const names = channels ?? sig.channels.map((c) => c.name);
  return {
    recording: recording!,
    meta: {
      source: 'sim',
      rateHz: scenario.rateHz,
      channels: sig.channels.filter((c) => names.includes(c.name)).map(channelMeta),
      scenario,
    },
  };
}
