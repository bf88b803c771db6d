import type { Command } from 'commander';
import { activeSlot, boardInfo, modelInfo, openLink } from '../link/index.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';

interface BoardOptions extends JsonFlag {
  port: string;
  baud: string;
}

export function registerBoard(program: Command): void {
  const board = program.command('board').description('talk to a board running the tinygate firmware-bridge');
  board
    .command('info')
    .description('what the board is: firmware and protocol version, memory budget, model slots')
    .requiredOption('--port <path>', 'serial port, e.g. /dev/ttyACM0 or the pty of `tinygate sim board`')
    .option('--baud <n>', 'baud rate', '115200')
    .option('--json', 'print one JSON document')
    .action(
      action(async (opts: BoardOptions) => {
        const link = await openLink({ path: opts.port, baudRate: Number(opts.baud) });
        try {
          const info = await boardInfo(link);
          const models = await modelInfo(link);
          const doc = {
            port: opts.port,
            ...info,
            activeSlot: models.activeSlot,
            slots: models.slots.map((s) => ({
              slot: s.slot,
              state: s.state,
              length: s.length,
              crc32: s.crc32,
              sequence: s.sequence,
              active: s.active,
            })),
          };
          report(opts, doc, () => {
            const a = activeSlot(models);
            return [
              `${info.boardId} on ${opts.port}: firmware ${info.firmwareVersion}, protocol ${info.protocolVersion}`,
              `flash ${formatBytes(info.flashBytes)}, RAM ${formatBytes(info.ramBytes)}, arena ${formatBytes(info.arenaBytes)}, RX buffer ${info.rxBufferBytes} B, ${info.slotCount} slots of ${formatBytes(info.slotBytes)}`,
              table(
                ['slot', 'state', 'bytes', 'CRC-32', 'sequence', 'active'],
                models.slots.map((s) => [
                  String(s.slot),
                  s.state,
                  String(s.length),
                  `0x${s.crc32.toString(16).padStart(8, '0')}`,
                  String(s.sequence),
                  s.active ? 'yes' : '',
                ]),
              ),
              a ? `active model: slot ${a.slot}, ${a.length} bytes` : 'no model on the board yet',
            ].join('\n');
          });
        } finally {
          await link.close();
        }
      }),
    );
}
