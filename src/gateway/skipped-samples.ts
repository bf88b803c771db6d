// The firmware bridge's unsolicited "samples skipped" report (docs/protocol.md, 0x54), read beside
// johnny-five on the same stream: a stall longer than the board's backlog lost those samples.
import type { Duplex } from 'node:stream';
import { Link, type TinygateMessage } from '../link/link.js';
import { Reply } from '../link/protocol.js';

/** Calls `onSkipped(count)` for each report on the stream until it closes. */
export function watchSkippedSamples(stream: Duplex, onSkipped: (count: number) => void): void {
  const link = new Link(stream, 'skipped samples', null);
  link.on('message', (m: TinygateMessage) => {
    if (m.command !== Reply.samplesSkipped || m.body.length < 8) return;
    const skipped = new DataView(m.body.buffer, m.body.byteOffset, 4).getUint32(0, true);
    if (skipped > 0) onSkipped(skipped);
  });
  link.on('closed', () => link.detach());
}
