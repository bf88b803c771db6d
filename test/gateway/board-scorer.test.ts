// The board scorer when the board stops answering inference requests (a unit test: the "board" is a
// stream that answers the runtime-status check, then swallows every run-inference request): each
// window is still scored, by the gateway's int8 model, the failure is said with when the board is asked
// again, the board is left alone for a growing backoff, and a new connection is tried at once.
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Int8AutoencoderScorer, loadSidecar } from '../../src/detect/index.js';
import { BoardScorer } from '../../src/gateway/board-scorer.js';
import { Command, Reply } from '../../src/link/index.js';
import { encodeMessage } from '../../src/link/protocol.js';
import { ROOT } from '../helpers/cli.js';

const MODEL = join(ROOT, 'models', 'motor-vib');
let int8: Int8AutoencoderScorer;
beforeAll(async () => {
  int8 = await Int8AutoencoderScorer.open(MODEL);
});
afterAll(() => int8.dispose());

/** A board whose runtime says it is ready for a 36-byte input, and which never answers an inference. */
function mutePort() {
  const status = new Uint8Array(16);
  const v = new DataView(status.buffer);
  status[0] = 1; // ready
  v.setUint32(7, 36, true);
  v.setUint32(11, 36, true);
  const port = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      // Writers send whole messages: F0, our SysEx id, the command.
      if (chunk[2] === Command.runtimeStatus) port.push(encodeMessage(Reply.runtimeStatus, status));
      if (chunk[2] === Command.runInference) port.inferences++;
      done();
    },
  }) as Duplex & { inferences: number };
  port.inferences = 0;
  return port;
}

/** Feature vectors around the training mean, a few standard deviations off here and there. */
function windows(n: number): Float32Array[] {
  const { mean, std } = loadSidecar(MODEL).sidecar.normalization;
  return Array.from({ length: n }, (_, w) =>
    Float32Array.from(mean, (m, i) => m + std[i]! * Math.sin(w * 7 + i) * 2),
  );
}

describe('BoardScorer with a board that does not answer', () => {
  it('scores every window on the gateway, says so, and asks the board again only after a backoff', async () => {
    let clock = 1_000_000;
    const said: [string, number | null][] = [];
    let port: (Duplex & { inferences: number }) | null = null;
    const scorer = new BoardScorer(int8, () => port, {
      onFallback: (why, retryInMs) => said.push([why, retryInMs]),
      timeoutMs: 20,
      backoffMs: { initial: 1000, max: 1500 },
      now: () => clock,
    });
    const f = windows(3);
    const want = Array.from(int8.scoreBatch(f));

    // Not connected: the gateway scores, and says why once.
    expect(Array.from(await scorer.scoreBatch(f))).toEqual(want);
    expect(scorer.stats).toMatchObject({ lastOn: 'gateway', fellBack: 3, onBoard: 0, retryAt: null });
    expect(said).toEqual([['the board is not connected', null]]);

    port = mutePort();
    expect(Array.from(await scorer.scoreBatch(f))).toEqual(want);
    // The first window asked the board once and gave up; the others did not wait for it.
    expect(port.inferences).toBe(1);
    expect(scorer.stats).toMatchObject({ lastOn: 'gateway', fellBack: 6, retryAt: clock + 1000 });
    expect(scorer.stats.lastError).toMatch(/no answer to run inference \(request \d+\) after 1 tries/);
    expect(said[1]).toEqual([expect.stringMatching(/no answer to run inference/), 1000]);

    // After the backoff the board is asked again; failing again doubles the wait, up to its cap.
    clock += 1001;
    expect(Array.from(await scorer.scoreBatch(f.slice(0, 1)))).toEqual(want.slice(0, 1));
    expect(port.inferences).toBe(2);
    expect(scorer.stats.retryAt).toBe(clock + 1500);
    expect(said).toHaveLength(3);

    // A new connection (the board replugged) is tried at once.
    port = mutePort();
    await scorer.scoreBatch(f.slice(0, 1));
    expect(port.inferences).toBe(1);
    expect(scorer.stats.fellBack).toBe(8);
    scorer.dispose();
  });
});
