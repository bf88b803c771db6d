// `tinygate shrink` as a user runs it: a model too big for the Mega's 1,980-byte slot and 12-tensor runtime
// becomes a model folder that fits it, judged on labelled fault data beside the teacher; the Uno, whose
// slot no TFLite flatbuffer of this model fits, gets the reason with the numbers.
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../src/boards/index.js';
import { Int8AutoencoderScorer } from '../../src/detect/index.js';
import { fitOnBoard, inspectModel, readTflite } from '../../src/tflite/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-shrink-'));
const teacher = join(dir, 'motor');
const healthy = join(dir, 'healthy.csv');
const faulty = join(dir, 'imbalance.csv');

describe('tinygate shrink', () => {
  beforeAll(async () => {
    const scen = join(dir, 'imbalance.yaml');
    writeFileSync(
      scen,
      [
        'name: imbalance-short',
        'seed: 41',
        'durationS: 240',
        'faults:',
        '  - { kind: imbalance, onsetS: 60, rampS: 30, severity: 0.2 }',
      ].join('\n'),
    );
    for (const args of [
      ['sim', 'data', '--scenario', 'healthy', '--duration', '300', '--seed', '9', '-o', healthy],
      ['sim', 'data', '--scenario', scen, '-o', faulty],
      ['train', '--data', healthy, '-o', teacher, '--channels', 'vib.x,vib.y,vib.z', '--epochs', '40'],
    ]) {
      const r = await runCli(args, { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
    }
  }, 240_000);

  it('writes the smallest student that fits the Mega and keeps the AUC, with every candidate reported', async () => {
    const out = join(dir, 'motor-mega');
    const r = await runCli(
      [
        ...['shrink', teacher, '--board', 'arduino-mega2560', '--data', healthy, '--eval', faulty],
        ...['--epochs', '25', '--max-auc-drop', '0.02', '-o', out, '--json'],
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    const mega = findBoard('arduino-mega2560');
    const teacherRow = rep.candidates.find((c: { method: string }) => c.method === 'teacher');
    expect(teacherRow.fits).toBe(false);
    // The whole curve: at least five sizes, each made both ways, side by side with the teacher.
    const sizes = new Set(rep.candidates.map((c: { name: string }) => c.name));
    expect(sizes.size).toBeGreaterThanOrEqual(6);
    for (const m of ['pruned', 'pruned+distilled', 'fresh', 'fresh+distilled'])
      expect(rep.candidates.some((c: { method: string }) => c.method === m)).toBe(true);
    // The written model is the chosen one, and the fit check and the interpreter take it.
    const bytes = new Uint8Array(readFileSync(join(out, 'model.int8.tflite')));
    expect(bytes.length).toBe(rep.chosen.int8Bytes);
    expect(fitOnBoard(mega, inspectModel(readTflite(bytes), bytes.length).needs).fits).toBe(true);
    for (const [fault, auc] of Object.entries(teacherRow.quality.auc as Record<string, number>))
      expect(rep.chosen.quality.auc[fault]).toBeGreaterThanOrEqual(auc - 0.02);
    expect(rep.chosen.quality.falseAlarms).toBeLessThanOrEqual(teacherRow.quality.falseAlarms);
    // Nothing smaller passed: the choice is the smallest that fits and passes.
    for (const c of rep.candidates)
      if (c.passes) expect(c.int8Bytes).toBeGreaterThanOrEqual(rep.chosen.int8Bytes);
    const scorer = await Int8AutoencoderScorer.open(out);
    scorer.dispose?.();
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).toContain('## Shrunk from a teacher');
    expect(card).toContain(`${rep.chosen.int8Bytes}`);
    expect(readFileSync(join(out, 'shrink.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\n$/);
    expect(existsSync(join(out, 'shrink-report.json'))).toBe(true);
  }, 300_000);

  it('says why nothing fits the Uno: flatbuffer tables against weights, with the numbers', async () => {
    const r = await runCli(
      [
        'shrink',
        teacher,
        '--board',
        'arduino-uno',
        '--data',
        healthy,
        '--epochs',
        '3',
        '-o',
        join(dir, 'uno'),
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /no candidate fits \(model flash\): the smallest, .* is \d+ B \(\d+ B of flatbuffer tables \+ \d+ B of weights\) for a 444 B budget/,
    );
    expect(existsSync(join(dir, 'uno'))).toBe(false);
  }, 300_000);

  it('convert --fit shrinks a model that does not fit and writes the student', async () => {
    const out = join(dir, 'fit.int8.tflite');
    const r = await runCli(
      ['convert', teacher, '--calib', healthy, '--board', 'arduino-mega2560', '--fit', '-o', out, '--json'],
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const bytes = new Uint8Array(readFileSync(out));
    expect(bytes.length).toBe(doc.shrunk.chosen.int8Bytes);
    const fit = fitOnBoard(
      findBoard('arduino-mega2560'),
      inspectModel(readTflite(bytes), bytes.length).needs,
    );
    expect(fit.fits, fit.problems.join('; ')).toBe(true);
    expect(existsSync(join(`${teacher}-arduino-mega2560`, 'pipeline.json'))).toBe(true);
  }, 300_000);

  it('shrinks a convolutional autoencoder (Conv1D filters pruned) to half its int8 size, a model the Cortex-M3 runtime takes', async () => {
    const conv = join(dir, 'conv');
    const t = await runCli(
      [
        'train',
        '--data',
        healthy,
        '-o',
        conv,
        '--channels',
        'vib.x,vib.y,vib.z',
        '--conv',
        '16,16',
        '--hidden',
        '8',
        '--epochs',
        '20',
      ],
      { timeoutMs: 120_000 },
    );
    expect(t.code, t.stderr).toBe(0);
    const c = await runCli(
      ['convert', conv, '--calib', healthy, '-o', join(conv, 'model.int8.tflite'), '--json'],
      {
        timeoutMs: 120_000,
      },
    );
    expect(c.code, c.stderr).toBe(0);
    const teacherBytes = JSON.parse(c.stdout).bytes as number;
    const out = join(dir, 'conv-half');
    const r = await runCli(
      [
        ...[
          'shrink',
          conv,
          '--board',
          'qemu-mps2-an385',
          '--target-bytes',
          String(Math.floor(teacherBytes / 2)),
        ],
        ...[
          '--data',
          healthy,
          '--eval',
          faulty,
          '--epochs',
          '10',
          '--max-auc-drop',
          '0.05',
          '-o',
          out,
          '--json',
        ],
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(
      rep.candidates
        .filter((x: { method: string }) => x.method === 'pruned')
        .map((x: { name: string }) => x.name),
    ).toContain('c8-c8-4');
    expect(rep.chosen.int8Bytes).toBeLessThanOrEqual(teacherBytes / 2);
    const bytes = new Uint8Array(readFileSync(join(out, 'model.int8.tflite')));
    const fit = fitOnBoard(findBoard('qemu-mps2-an385'), inspectModel(readTflite(bytes), bytes.length).needs);
    expect(fit.fits, fit.problems.join('; ')).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')).model.kind).toBe('conv-autoencoder');
  }, 400_000);

  it('asks for normal data when the teacher’s training data is gone', async () => {
    const moved = `${healthy}.moved`;
    renameSync(healthy, moved);
    try {
      const r = await runCli(['shrink', teacher, '--board', 'arduino-mega2560']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('which is not there any more');
      expect(r.stderr).toContain('--data');
    } finally {
      renameSync(moved, healthy);
    }
  });
});
