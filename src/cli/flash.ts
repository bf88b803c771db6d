import type { Command } from 'commander';
import { boardInfo, flashModel, openLink } from '../link/index.js';
import { readTflite } from '../tflite/index.js';
import { readModelFile } from './model-file.js';
import { action, type JsonFlag, report } from './output.js';
import { progressBar } from './progress-bar.js';

interface FlashOptions extends JsonFlag {
  port: string;
  baud: string;
  stopAndWait?: boolean;
}

export function registerFlash(program: Command): void {
  program
    .command('flash <model>')
    .description(
      'send a .tflite model to a board over its serial port; the old model stays active until the new one is whole',
    )
    .requiredOption('--port <path>', 'serial port of a board running the tinygate firmware-bridge')
    .option('--baud <n>', 'baud rate', '115200')
    .option('--stop-and-wait', 'one chunk in flight at a time (slower; for flaky adapters)')
    .option('--json', 'print one JSON document')
    .action(
      action(async (path: string, opts: FlashOptions) => {
        const bytes = readModelFile(path);
        readTflite(bytes); // a corrupt or foreign file is refused here, not after a transfer
        const link = await openLink({ path: opts.port, baudRate: Number(opts.baud) });
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        const bar = progressBar('flash', bytes.length, 'bytes');
        try {
          const board = await boardInfo(link);
          const r = await flashModel(link, bytes, {
            board,
            signal: ac.signal,
            mode: opts.stopAndWait ? 'stop-and-wait' : 'windowed',
            onProgress: (p) =>
              bar.update(
                p.bytesDone,
                `${(p.bytesPerSecond / 1024).toFixed(1)} KiB/s${p.etaSeconds !== null ? `, ${p.etaSeconds.toFixed(0)} s left` : ''}`,
              ),
          });
          bar.stop();
          report(
            opts,
            { model: path, port: opts.port, ...r },
            () =>
              `${path} → ${r.boardId} slot ${r.slot} (sequence ${r.sequence}): ${r.length} bytes, CRC-32 0x${r.crc32.toString(16).padStart(8, '0')}, ${r.seconds.toFixed(2)} s at ${(r.bytesPerSecond / 1024).toFixed(1)} KiB/s` +
              (r.resumedFrom ? `, resumed from byte ${r.resumedFrom}` : '') +
              (r.naks + r.timeouts ? `, ${r.naks} NAKs and ${r.timeouts} timeouts recovered` : ''),
          );
        } finally {
          bar.stop();
          process.off('SIGINT', stop);
          await link.close();
        }
      }),
    );
}
