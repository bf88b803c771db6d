import { closeSync, openSync, writeSync } from 'node:fs';
import { TinygateError } from '../errors/index.js';
import { channelMeta } from '../sensing/channels.js';
import { writeRecordingMeta } from '../sensing/recording.js';
import type { Scenario } from './scenario.js';
import { ScenarioSignals } from './signals.js';

/** Label columns the simulator appends; boards ignore them, `train` and `eval` read them. */
export const LABEL_COLUMNS = ['fault', 'severity', 'sensor_fault'] as const;

export interface WriteScenarioResult {
  file: string;
  /** The sidecar describing the channels (data.channels.json). */
  metaFile: string;
  rows: number;
  columns: string[];
  durationS: number;
}

/**
 * Write a scenario as CSV: `t` (s), the board columns (what the host virtual board replays: volts on
 * A0…A5, g / deg/s / °C for the MPU6050, °C / Pa / %RH for the BME280), the channels as the gateway
 * reads them (after the board's converters), then the labels.
 */
export function writeScenarioCsv(
  scenario: Scenario,
  file: string,
  onProgress?: (rows: number, total: number) => void,
): WriteScenarioResult {
  const sig = new ScenarioSignals(scenario);
  const channelNames = sig.channels.map((c) => c.name);
  const clash = channelNames.find(
    (n) =>
      (sig.columns as string[]).includes(n) || (LABEL_COLUMNS as readonly string[]).includes(n) || n === 't',
  );
  if (clash) {
    throw new TinygateError(
      'SCENARIO_INVALID',
      `sensors: channel name "${clash}" clashes with a CSV column`,
      {
        hint: 'Rename the sensor (names like "vib" or "bearing_temp").',
      },
    );
  }
  const header = ['t', ...sig.columns, ...channelNames, ...LABEL_COLUMNS];
  const boardDigits = sig.columns.map((c) => (c.startsWith('A') ? 4 : c === 'bme280.pressure' ? 1 : 5));
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (cause) {
    throw new TinygateError('OUTPUT_UNWRITABLE', `${file}: cannot write here`, {
      hint: 'Check the folder exists and is writable.',
      cause,
    });
  }
  try {
    writeSync(fd, `${header.join(',')}\n`);
    let buf = '';
    const total = sig.length;
    for (let r = 0; r < total; r++) {
      sig.step();
      let line = sig.t.toFixed(6);
      for (let i = 0; i < sig.board.length; i++) line += `,${sig.board[i]!.toFixed(boardDigits[i])}`;
      for (let i = 0; i < sig.values.length; i++) line += `,${round6(sig.values[i]!)}`;
      const m = sig.machine.sample;
      line += `,${m.fault ?? 'none'},${m.severity.toFixed(4)},${sig.sensorFault || 'none'}\n`;
      buf += line;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
        onProgress?.(r + 1, total);
      }
    }
    writeSync(fd, buf);
    onProgress?.(total, total);
  } finally {
    closeSync(fd);
  }
  const metaFile = writeRecordingMeta(file, {
    source: 'sim',
    rateHz: scenario.rateHz,
    channels: sig.channels.map(channelMeta),
    scenario,
  });
  return { file, metaFile, rows: sig.length, columns: header, durationS: scenario.durationS };
}

function round6(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}
