// The board scorer when the board does not answer (a unit test: the "board" is a stream that swallows
// every byte): each window is still scored, by the gateway's int8 model, the failure is counted and
// logged, the board is left alone for a growing backoff, and a new connection is tried at once.

import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Int8AutoencoderScorer, loadSidecar } from '../../src/detect/index.js';
import { BoardScorer } from '../../src/gateway/board-scorer.js';
import { ROOT } from '../helpers/cli.js';

const MODEL = join(ROOT, 'models', 'motor-vib');
let int8: Int8AutoencoderScorer;
beforeAll(async () => {
  int8 = await Int8AutoencoderScorer.open(MODEL);
});
afterAll(() => int8.dispose());

/** A port whose board never answers; counts what is written to it. */
function silentPort() {
  const port = new Duplex({
    read() {},
    write(_chunk, _enc, done) {
      port.writes++;
      done();
    },
  }) as Duplex & { writes: number };
  port.writes = 0;
  return port;
}

/** Feature vectors around the training mean, a few standard deviations off here and there. */
function windows(n: number): Float32Array[] {
  const { mean, std } = loadSidecar(MODEL).sidecar.normalization;
  return Array.from({ length: n }, (_, w) =>
    Float32Array.from(mean, (m, i) => m + std[i]! * Math.sin(w * 7 + i) * 2),
  );
}

describe('BoardScorer without an answering board', () => {
  it('scores every window on the gateway, counts and logs the failure, and backs off', async () => {
    let clock = 1_000_000;
    const warnings: string[] = [];
    const log = {
      debug() {},
      info() {},
      error() {},
      warn: (_o: object, m?: string) => warnings.push(m ?? ''),
    };
    const scorer = new BoardScorer(int8, 'press', log, {
      timeoutMs: 20,
      attempts: 2,
      backoffMs: { initial: 1000, max: 1500 },
      now: () => clock,
    });
    const f = windows(3);
    const want = int8.scoreBatch(f);

    // Not connected yet: the gateway scores.
    expect(await scorer.scoreBatch(f)).toEqual(want);
    expect(scorer.status()).toMatchObject({ lastOn: 'gateway', fallbacks: 3, failures: 0, runs: 0 });

    const port = silentPort();
    scorer.attach(port, 'silent board', null);
    expect(await scorer.scoreBatch(f)).toEqual(want);
    // The first window asked the board twice and gave up; the others did not wait for it.
    expect(port.writes).toBe(2);
    const s = scorer.status();
    expect(s).toMatchObject({ lastOn: 'gateway', fallbacks: 6, failures: 1, runs: 0, retryAt: clock + 1000 });
    expect(s.lastError?.message).toMatch(/no answer to run inference after 2 tries/);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^board press: inference on the board failed .*; scoring on the gateway, trying the board again in 1 s$/,
      ),
    ]);

    // After the backoff the board is asked again; failing again doubles the wait, up to its cap.
    clock += 1001;
    expect(await scorer.scoreBatch(f.slice(0, 1))).toEqual(want.slice(0, 1));
    expect(port.writes).toBe(4);
    expect(scorer.status()).toMatchObject({ failures: 2, retryAt: clock + 1500 });

    // A new connection (the board replugged) is tried at once.
    const again = silentPort();
    scorer.attach(again, 'silent board', null);
    await scorer.scoreBatch(f.slice(0, 1));
    expect(again.writes).toBe(2);

    // A board that cannot run the model is never asked.
    scorer.disable('the runtime refused the model');
    clock += 10_000;
    const third = silentPort();
    scorer.attach(third, 'silent board', null);
    expect(await scorer.scoreBatch(f)).toEqual(want);
    expect(third.writes).toBe(0);
    expect(scorer.status().disabled).toBe('the runtime refused the model');
  });
});
