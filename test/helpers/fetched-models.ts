// The real models bench/peers/models/get.sh fetches at pinned commits into a cache outside the project
// (MLPerf Tiny's vww_96 and ResNet-8, Google's int8 and the float each came from; TensorFlow Lite Micro's
// person_detect). Tests and benches use them when they are there and say so when they are not.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const FETCHED_DIR =
  process.env.TINYGATE_MODELS ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tinygate', 'reference-models');

/** Google's int8 models, and the float each came from where there is one (for our converter). */
export const FETCHED_MODELS = [
  { name: 'vww_96_int8', float: 'vww_96_float' },
  { name: 'resnet8_int8', float: 'resnet8_float' },
  { name: 'person_detect_int8', float: null },
] as const;
export type FetchedModel = (typeof FETCHED_MODELS)[number];

export const fetchedPath = (file: string) => join(FETCHED_DIR, `${file}.tflite`);

/** The fetched models present, with the command that fetches the others (null when all are here). */
export function fetchedModels(): { present: FetchedModel[]; missing: string | null } {
  const present = FETCHED_MODELS.filter(
    (m) => existsSync(fetchedPath(m.name)) && (m.float === null || existsSync(fetchedPath(m.float))),
  );
  const absent = FETCHED_MODELS.filter((m) => !present.includes(m)).map((m) => m.name);
  return {
    present,
    missing: absent.length
      ? `${absent.join(', ')} not in ${FETCHED_DIR}: run bash bench/peers/models/get.sh`
      : null,
  };
}

export const readFetched = (file: string) => new Uint8Array(readFileSync(fetchedPath(file)));
