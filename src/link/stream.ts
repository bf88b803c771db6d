/**
 * Streaming mode: the board samples its analog channels, runs the active model on each window and sends
 * a score (docs/protocol.md, commands 0x11/0x12, reply 0x51). For models over raw sensor windows.
 */
import { EventEmitter } from 'node:events';
import { TinygateError } from '../errors/index.js';
import type { Link, TinygateMessage } from './link.js';
import { Command, Reply } from './protocol.js';

export interface StreamOptions {
  /** ADC channels (0 = A0), 1-8 of them; the model input is read as [samples][channels]. */
  channels: number[];
  /** Sample interval, ms (1 = 1 kHz). */
  intervalMs: number;
  /** Samples per channel between windows (the window is the model input / channels). */
  hop: number;
  /** `reconstruction`: mean squared error between window and output (an autoencoder); `output`: output 0. */
  score: 'reconstruction' | 'output';
  /** Model input units per ADC count (default 1). */
  gain?: number;
  /** ADC counts that read as zero (default 0). */
  offset?: number;
}

export interface StreamScore {
  /** Window number since the stream started, from 1. */
  sequence: number;
  /** Inference time on the board, µs. */
  micros: number;
  score: number;
  /** False when the board failed to run the model on this window. */
  ok: boolean;
}

const STATUS = { score: 0, started: 1, stopped: 2, noModel: 3, badConfig: 4, failed: 5 } as const;

function decode(
  m: TinygateMessage,
): { status: number; sequence: number; micros: number; score: number } | undefined {
  if (m.command !== Reply.score || m.body.length < 13) return undefined;
  const v = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  return {
    status: m.body[0]!,
    sequence: v.getUint32(1, true),
    micros: v.getUint32(5, true),
    score: v.getFloat32(9, true),
  };
}

export class BoardStream extends EventEmitter<{ score: [StreamScore] }> {
  private readonly onMessage = (m: TinygateMessage) => {
    const r = decode(m);
    if (r && (r.status === STATUS.score || r.status === STATUS.failed))
      this.emit('score', {
        sequence: r.sequence,
        micros: r.micros,
        score: r.score,
        ok: r.status === STATUS.score,
      });
  };

  constructor(private readonly link: Link) {
    super();
    link.on('message', this.onMessage);
  }

  /** Ask the board to stop; scores already on the wire may still arrive before its answer. */
  async stop(): Promise<void> {
    try {
      await this.link.request(
        Command.streamStop,
        undefined,
        (m) => (decode(m)?.status === STATUS.stopped ? true : undefined),
        {
          timeoutMs: 500,
          attempts: 4,
          what: 'stream stop',
        },
      );
    } finally {
      this.link.off('message', this.onMessage);
    }
  }
}

/** Start streaming; resolves once the board accepted the settings. */
export async function startStream(link: Link, o: StreamOptions): Promise<BoardStream> {
  if (
    o.channels.length < 1 ||
    o.channels.length > 8 ||
    o.channels.some((c) => !Number.isInteger(c) || c < 0 || c > 15)
  ) {
    throw new TinygateError(
      'USAGE',
      `stream: ${o.channels.length} channels given; 1 to 8 ADC channels (0-15) are allowed`,
      {
        hint: 'e.g. --channels 0,1,2 for A0-A2.',
      },
    );
  }
  const body = new Uint8Array(1 + o.channels.length + 13);
  const v = new DataView(body.buffer);
  body[0] = o.channels.length;
  body.set(o.channels, 1);
  const at = 1 + o.channels.length;
  v.setUint16(at, o.intervalMs, true);
  v.setUint16(at + 2, o.hop, true);
  body[at + 4] = o.score === 'output' ? 1 : 0;
  v.setFloat32(at + 5, o.gain ?? 1, true);
  v.setFloat32(at + 9, o.offset ?? 0, true);
  const stream = new BoardStream(link);
  const status = await link.request(
    Command.streamStart,
    body,
    (m) => {
      const r = decode(m);
      return r && r.status !== STATUS.score && r.status !== STATUS.failed ? r.status : undefined;
    },
    { timeoutMs: 500, attempts: 4, what: 'stream start' },
  );
  if (status === STATUS.started) return stream;
  await stream.stop().catch(() => {});
  throw new TinygateError(
    'STREAM_REFUSED',
    status === STATUS.noModel
      ? `${link.name}: the board has no runnable model to stream with`
      : `${link.name}: the board refused the stream settings (the model input must be a whole number of windows of ${o.channels.length} channels, at most its window buffer; hop between 1 and the window; reconstruction needs output the size of the input)`,
    {
      hint: 'Check `tinygate board info` and the model: `tinygate inspect <model>` shows its input and output.',
    },
  );
}
