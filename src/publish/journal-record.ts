import { crc32 } from 'node:zlib';
import type { Alert } from '../detect/alert.js';

/**
 * One journal line: 8 hex digits of CRC-32 over the JSON text, a space, the JSON, "\n".
 * The CRC and the trailing newline let a reader tell a record cut short by a crash from a whole one.
 */
export type JournalRecord =
  /** `acked: true` (older journals): delivered to MQTT; `ackedBy`: the sinks it was delivered to. */
  | { t: 'alert'; seq: number; at: number; acked?: true; ackedBy?: string[]; alert: Alert }
  /** Delivered to `sink` (absent in older journals: MQTT). */
  | { t: 'ack'; seqs: number[]; sink?: string };

/** The sink name of MQTT (JSON, Home Assistant and Sparkplug share its one delivery). */
export const MQTT_SINK = 'mqtt';

/** The sinks a record says its alert was delivered to. */
export function ackedByOf(r: { acked?: true; ackedBy?: string[] }): string[] {
  return r.ackedBy ?? (r.acked ? [MQTT_SINK] : []);
}

export function encodeRecord(record: JournalRecord): Buffer {
  const json = JSON.stringify(record);
  const crc = crc32(json).toString(16).padStart(8, '0');
  return Buffer.from(`${crc} ${json}\n`, 'utf8');
}

export interface ParsedJournal {
  records: JournalRecord[];
  /** Bytes of a last record without its newline or with a bad CRC: a write cut short by a crash. */
  tornTailBytes: number;
  /** Byte offsets of damaged records that are not the last one (disk damage, not a crash). */
  corruptOffsets: number[];
}

export function parseJournal(data: Buffer): ParsedJournal {
  const records: JournalRecord[] = [];
  const corruptOffsets: number[] = [];
  let tornTailBytes = 0;
  let offset = 0;
  while (offset < data.length) {
    const nl = data.indexOf(0x0a, offset);
    if (nl < 0) {
      tornTailBytes = data.length - offset;
      break;
    }
    const record = decodeLine(data.toString('utf8', offset, nl));
    if (record) records.push(record);
    else if (nl === data.length - 1) tornTailBytes = nl + 1 - offset;
    else corruptOffsets.push(offset);
    offset = nl + 1;
  }
  return { records, tornTailBytes, corruptOffsets };
}

function decodeLine(line: string): JournalRecord | null {
  if (line.length < 10 || line[8] !== ' ') return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  try {
    const r = JSON.parse(json) as JournalRecord;
    if (r.t === 'alert' && Number.isInteger(r.seq) && typeof r.alert?.id === 'string') return r;
    if (r.t === 'ack' && Array.isArray(r.seqs)) return r;
  } catch {
    // fall through: a line whose CRC matches but is not a record we know is damage too
  }
  return null;
}
