// The accuracy gate on the shipped autoencoder: labelled eval data gives the anomaly AUC of the float
// and the int8 model side by side.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertModel } from '../../src/convert/index.js';
import { ROOT } from '../helpers/cli.js';
import { rng } from '../tflite/reference.js';

describe('accuracy gate with labelled data', () => {
  it('reports float and int8 anomaly AUC for models/motor-vib', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-gate-'));
    const next = rng(5);
    const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    const row = (spread: number) => Array.from({ length: 36 }, () => (gauss() * spread).toFixed(4));
    const calib = join(dir, 'calib.csv');
    writeFileSync(calib, Array.from({ length: 200 }, () => row(0.8).join(',')).join('\n'));
    const evalFile = join(dir, 'eval.csv');
    const header = [...Array.from({ length: 36 }, (_, i) => `f${i}`), 'label'].join(',');
    const rows = Array.from({ length: 200 }, (_, i) =>
      [...row(i % 4 === 0 ? 3 : 0.8), i % 4 === 0 ? 1 : 0].join(','),
    );
    writeFileSync(evalFile, [header, ...rows].join('\n'));

    const { report } = await convertModel({
      model: join(ROOT, 'models', 'motor-vib'),
      calib,
      eval: evalFile,
    });
    expect(report.evaluation).toMatchObject({ samples: 200, heldBack: false });
    const auc = report.accuracy.auc!;
    expect(auc.float).toBeGreaterThan(0.9);
    expect(auc.int8).toBeGreaterThan(0.9);
    expect(Math.abs(auc.drop)).toBeLessThan(0.02);
    expect(report.gate.passed).toBe(true);

    // A gate no int8 model can pass is refused, with the report attached.
    await expect(
      convertModel({ model: join(ROOT, 'models', 'motor-vib'), calib, eval: evalFile, maxAucDrop: -1 }),
    ).rejects.toThrow(/anomaly AUC drops from .* more than --max-auc-drop -1/);
  }, 60_000);
});
