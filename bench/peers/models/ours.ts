// Our int8 conversion of a float reference (MLPerf Tiny's, from ../shared or fetched), for the benches to
// run beside Google's int8 of the same network. Calibration: 40 synthetic inputs uniform over the float
// range Google's int8 model takes as input (its input scale and zero point: vww [0, 1], ResNet-8 [0, 255]);
// the real datasets are not here. The default calibration strategy of `tinygate convert`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../../../src/convert/index.js';
import { elementCount, readTflite } from '../../../src/tflite/index.js';
import { fetchedPath, readFetched } from '../../../test/helpers/fetched-models.js';
import { rng } from '../../../test/tflite/reference.js';

export const oursFromFetched = (m: { name: string; float: string }) =>
  oursFrom(fetchedPath(m.float), readFetched(m.name));

/** Convert the float .tflite at `floatPath`, calibrated over the input range of Google's int8 `googleInt8`. */
export async function oursFrom(floatPath: string, googleInt8: Uint8Array): Promise<Uint8Array> {
  const google = readTflite(googleInt8);
  const sg = google.subgraphs[0]!;
  const input = sg.tensors[sg.inputs[0]!]!;
  const scale = input.quantization!.scale[0]!;
  const zero = Number(input.quantization!.zeroPoint[0]);
  const [lo, hi] = [scale * (-128 - zero), scale * (127 - zero)];
  const values = elementCount(input.shape);
  const next = rng(11);
  const rows = Array.from({ length: 40 }, () =>
    Array.from({ length: values }, () => lo + (hi - lo) * next()),
  );
  const dir = mkdtempSync(join(tmpdir(), 'tg-ours-'));
  try {
    const calib = join(dir, 'calib.json');
    writeFileSync(calib, JSON.stringify(rows));
    return (await convertModel({ model: floatPath, calib })).bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
