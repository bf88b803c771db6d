import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { TinygateError } from '../errors/index.js';

/**
 * Model inputs from a file, one flattened Float32Array per sample: CSV (one sample per row, an optional
 * header row), `.npy` (first axis = samples), or JSON (an array of numbers, or an array of such arrays,
 * nested as deep as the shape). `valuesPerSample` checks each sample against the model input.
 */
export function readSamples(file: string, valuesPerSample: number): Float32Array[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw bad(file, (err as Error).message, 'Check the path.');
  }
  const ext = extname(file).toLowerCase();
  const samples =
    ext === '.npy'
      ? fromNpy(file, bytes, valuesPerSample)
      : ext === '.json'
        ? fromJson(file, bytes.toString('utf8'), valuesPerSample)
        : fromCsv(file, bytes.toString('utf8'), valuesPerSample);
  if (samples.length === 0) throw bad(file, 'holds no samples', 'Give at least one sample.');
  return samples;
}

function bad(file: string, what: string, hint: string): TinygateError {
  return new TinygateError('BAD_SAMPLES', `${file}: ${what}`, { hint });
}

const shapeHint = (n: number) =>
  `The model takes ${n} value(s) per sample: one CSV row, one JSON array or one .npy row each.`;

function fromCsv(file: string, text: string, n: number): Float32Array[] {
  const out: Float32Array[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const cells = line.split(',');
    const values = cells.map((c) => Number(c.trim()));
    if (values.some((v) => Number.isNaN(v) || !Number.isFinite(v))) {
      // A first row of names is a header; anything else that is not a number is an error.
      if (out.length === 0 && i === lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'))) return;
      const col = values.findIndex((v) => !Number.isFinite(v));
      throw bad(
        file,
        `line ${i + 1}, column ${col + 1}: "${cells[col]?.trim()}" is not a number`,
        'Every cell must be a number.',
      );
    }
    if (values.length !== n)
      throw bad(file, `line ${i + 1} has ${values.length} values, expected ${n}`, shapeHint(n));
    out.push(Float32Array.from(values));
  });
  return out;
}

function fromJson(file: string, text: string, n: number): Float32Array[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw bad(
      file,
      `not valid JSON (${(err as Error).message})`,
      'Give an array of samples, each an array of numbers.',
    );
  }
  if (!Array.isArray(data)) throw bad(file, 'is not a JSON array', shapeHint(n));
  const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);
  // A single flat sample is allowed too: [0.1, 0.2, …].
  const list = data.every((x) => typeof x === 'number') && data.length === n ? [data] : data;
  return list.map((s, i) => {
    const values = flat(s);
    if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw bad(file, `sample ${i} holds something that is not a finite number`, 'Use plain numbers.');
    }
    if (values.length !== n)
      throw bad(file, `sample ${i} has ${values.length} values, expected ${n}`, shapeHint(n));
    return Float32Array.from(values);
  });
}

function fromNpy(file: string, bytes: Buffer, n: number): Float32Array[] {
  let arr: ReturnType<typeof parseNpy>;
  try {
    arr = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (err) {
    throw bad(
      file,
      `not a readable .npy file (${(err as Error).message})`,
      'Save it with numpy.save as float32.',
    );
  }
  if (arr.fortranOrder) throw bad(file, 'is in Fortran order', 'Save it with np.ascontiguousarray(x) first.');
  if (!['f4', 'f8', 'f2', 'i1', 'u1', 'i2', 'i4'].includes(arr.dtype)) {
    throw bad(file, `dtype ${arr.dtype} is not numeric`, 'Save float32 samples.');
  }
  const data = arr.data as unknown as ArrayLike<number>;
  const total = data.length;
  if (total % n !== 0) {
    throw bad(
      file,
      `shape [${arr.shape}] (${total} values) is not a whole number of ${n}-value samples`,
      shapeHint(n),
    );
  }
  const out: Float32Array[] = [];
  for (let i = 0; i < total; i += n) out.push(Float32Array.from({ length: n }, (_, j) => data[i + j]!));
  return out;
}

/**
 * Labelled samples for evaluation: a CSV whose header has a `label` column (0 = normal, 1 = anomaly)
 * beside the input columns. Files without one give samples and no labels.
 */
export function readLabelledSamples(
  file: string,
  valuesPerSample: number,
): { samples: Float32Array[]; labels: boolean[] | null } {
  if (extname(file).toLowerCase() !== '.csv')
    return { samples: readSamples(file, valuesPerSample), labels: null };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw bad(file, (err as Error).message, 'Check the path.');
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = lines[0]?.split(',').map((h) => h.trim().toLowerCase()) ?? [];
  const labelAt = header.indexOf('label');
  if (labelAt < 0) return { samples: readSamples(file, valuesPerSample), labels: null };
  const samples: Float32Array[] = [];
  const labels: boolean[] = [];
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',').map((c) => Number(c.trim()));
    const label = cells[labelAt];
    if (label !== 0 && label !== 1)
      throw bad(file, `row ${i + 2}: label must be 0 or 1`, 'Mark normal rows 0 and anomalous rows 1.');
    const values = cells.filter((_, j) => j !== labelAt);
    if (values.length !== valuesPerSample || values.some((v) => !Number.isFinite(v))) {
      throw bad(
        file,
        `row ${i + 2} has ${values.length} numeric inputs, expected ${valuesPerSample}`,
        shapeHint(valuesPerSample),
      );
    }
    samples.push(Float32Array.from(values));
    labels.push(label === 1);
  });
  return { samples, labels };
}
