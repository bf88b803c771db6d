// Model transfer to the host firmware with its UART paced at 115200 baud, windowed beside
// stop-and-wait in the same run. Efficiency = payload bytes/s ÷ 11,520 B/s (10 bits a byte).
import { randomBytes } from 'node:crypto';
import { buildHostFirmware, flashModel, openLink, startHostBoard } from '../src/link/index.js';

const BAUD = 115200;
const LINE_BYTES_PER_S = BAUD / 10;
await buildHostFirmware();
const results = [];
// The host board's default 1 KiB RX buffer, and an Uno-sized 64-byte one (small chunks, so the
// round trip per chunk is what stop-and-wait pays for).
for (const rxBufferBytes of [1024, 64]) {
  const hb = await startHostBoard({ baud: BAUD, rxBufferBytes });
  const link = await openLink({ path: hb.path, baudRate: BAUD });
  try {
    for (const kb of [20, 100]) {
      const model = randomBytes(kb * 1024);
      for (const mode of ['windowed', 'stop-and-wait'] as const) {
        console.error(`  rx ${rxBufferBytes} B, ${kb} KB ${mode}`);
        const r = await flashModel(link, model, { mode });
        results.push({
          rxBufferBytes,
          modelKB: kb,
          mode,
          seconds: +r.seconds.toFixed(3),
          payloadBytesPerS: Math.round(r.bytesPerSecond),
          efficiency: +(r.bytesPerSecond / LINE_BYTES_PER_S).toFixed(3),
          chunkBytes: r.maxChunkBytes,
          wireBytes: r.wireBytes,
          retransmittedBytes: r.retransmittedBytes,
        });
      }
    }
  } finally {
    await link.close();
    await hb.stop();
  }
}
// The goal is for the host board's configuration; the 64-byte row shows what an Uno-sized buffer costs.
const windowed = results.filter((r) => r.mode === 'windowed' && r.rxBufferBytes === 1024);
process.stdout.write(
  `${JSON.stringify({ baud: BAUD, lineBytesPerS: LINE_BYTES_PER_S, goalEfficiency: 0.75, windowedMeetsGoal: windowed.every((r) => r.efficiency >= 0.75), results }, null, 2)}\n`,
);
