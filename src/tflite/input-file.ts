import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { TinygateError } from '../errors/index.js';

function bad(path: string, what: string, hint: string): TinygateError {
  return new TinygateError('INPUT_FILE_INVALID', `${path}: ${what}`, { hint });
}

const FORMATS_HINT =
  'Give one input per row: a .csv of numbers (one row per input), a .json array (or array of arrays), or a .npy array of shape [n, …].';

/**
 * Read model inputs from a .csv, .json or .npy file: one row of `size` numbers per inference.
 * Every row must hold exactly `size` values; errors name the line, row or array shape.
 */
export function readInputFile(path: string, size: number): number[][] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TinygateError(
      'FILE_UNREADABLE',
      `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`,
      {
        hint: FORMATS_HINT,
        cause: err,
      },
    );
  }
  const ext = extname(path).toLowerCase();
  const rows =
    ext === '.csv'
      ? parseCsv(path, bytes.toString('utf8'))
      : ext === '.json'
        ? parseJson(path, bytes.toString('utf8'))
        : ext === '.npy'
          ? parseNpy(path, bytes, size)
          : null;
  if (!rows) throw bad(path, `unknown input format "${ext || '(none)'}"`, FORMATS_HINT);
  if (rows.length === 0) throw bad(path, 'holds no inputs', FORMATS_HINT);
  rows.forEach((row, i) => {
    if (row.length !== size) {
      throw bad(path, `input ${i + 1} has ${row.length} values, the model takes ${size}`, FORMATS_HINT);
    }
  });
  return rows;
}

function parseCsv(path: string, text: string): number[][] {
  const rows: number[][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const cells = trimmed.split(/\s*[,;\t]\s*|\s+/);
    const values = cells.map(Number);
    const badCell = values.findIndex((v, c) => !Number.isFinite(v) || cells[c] === '');
    if (badCell !== -1) {
      // A first line of names is a header, not data.
      if (rows.length === 0 && cells.every((c) => Number.isNaN(Number(c)))) return;
      throw bad(
        path,
        `line ${i + 1} column ${badCell + 1}: "${cells[badCell]}" is not a number`,
        FORMATS_HINT,
      );
    }
    rows.push(values);
  });
  return rows;
}

function parseJson(path: string, text: string): number[][] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(path, `not valid JSON (${(err as Error).message})`, FORMATS_HINT);
  }
  const isRow = (v: unknown): v is number[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (isRow(doc)) return [doc];
  if (Array.isArray(doc) && doc.every(isRow)) return doc;
  throw bad(path, 'expected an array of numbers or an array of arrays of numbers', FORMATS_HINT);
}

const NPY_MAGIC = '\x93NUMPY';
const NPY_TYPES: Record<
  string,
  { bytes: number; read: (v: DataView, at: number, little: boolean) => number }
> = {
  f4: { bytes: 4, read: (v, at, le) => v.getFloat32(at, le) },
  f8: { bytes: 8, read: (v, at, le) => v.getFloat64(at, le) },
  i1: { bytes: 1, read: (v, at) => v.getInt8(at) },
  u1: { bytes: 1, read: (v, at) => v.getUint8(at) },
  i2: { bytes: 2, read: (v, at, le) => v.getInt16(at, le) },
  i4: { bytes: 4, read: (v, at, le) => v.getInt32(at, le) },
};

/** NumPy's .npy format (versions 1–3): magic, version, header length, a Python-dict header, then C-order data. */
function parseNpy(path: string, bytes: Buffer, size: number): number[][] {
  const npyHint = 'Save the array with numpy.save() as float32/float64/int8/uint8/int16/int32, C order.';
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== NPY_MAGIC)
    throw bad(path, 'not a .npy file (no \\x93NUMPY magic)', npyHint);
  const major = bytes[6]!;
  const headerLen = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad(path, 'truncated .npy header', npyHint);
  const header = bytes.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText)
    throw bad(path, `unreadable .npy header ${JSON.stringify(header.trim())}`, npyHint);
  const type = NPY_TYPES[descr[2]!];
  if (!type) throw bad(path, `unsupported .npy dtype "${descr[2]}"`, npyHint);
  if (fortran[1] === 'True') throw bad(path, '.npy array is in Fortran order', npyHint);
  const shape = shapeText[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const total = shape.reduce((n, d) => n * d, 1);
  const dataStart = start + headerLen;
  if (dataStart + total * type.bytes > bytes.length) {
    throw bad(
      path,
      `.npy data is truncated: shape (${shape.join(', ')}) needs ${total * type.bytes} bytes`,
      npyHint,
    );
  }
  if (size <= 0 || total % size !== 0) {
    throw bad(path, `.npy shape (${shape.join(', ')}) does not split into inputs of ${size} values`, npyHint);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, total * type.bytes);
  const little = descr[1] !== '>';
  const rows: number[][] = [];
  for (let r = 0; r < total / size; r++) {
    const row = new Array<number>(size);
    for (let i = 0; i < size; i++) row[i] = type.read(view, (r * size + i) * type.bytes, little);
    rows.push(row);
  }
  return rows;
}
