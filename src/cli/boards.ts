import type { Command } from 'commander';
import { type BoardProfile, findBoard, loadBoards } from '../boards/index.js';
import { formatBytes, table } from './format.js';
import { action, type JsonFlag, report } from './output.js';

interface BoardsOptions extends JsonFlag {
  dir?: string;
}

export function registerBoards(program: Command): void {
  const boards = program
    .command('boards')
    .description('list the board profiles tinygate can size models for')
    .option('--json', 'print one JSON document')
    .option('--dir <folder>', 'read profiles from this folder instead of the shipped boards/')
    .action(
      action((opts: BoardsOptions) => {
        const list = loadBoards(opts.dir);
        report(opts, list, () => renderList(list));
      }),
    );

  boards
    .command('show <id>')
    .description('show one board profile')
    .option('--json', 'print one JSON document')
    .option('--dir <folder>', 'read profiles from this folder instead of the shipped boards/')
    .action(
      action((id: string, opts: BoardsOptions) => {
        const board = findBoard(id, opts.dir ?? boards.opts<BoardsOptions>().dir);
        report(opts, board, () => renderBoard(board));
      }),
    );
}

function renderList(list: BoardProfile[]): string {
  return table(
    ['id', 'mcu', 'core', 'MHz', 'flash', 'RAM', 'model flash', 'arena'],
    list.map((b) => [
      b.id,
      b.mcu,
      b.core,
      String(b.clockMHz),
      formatBytes(b.flashBytes),
      formatBytes(b.ramBytes),
      formatBytes(b.modelBudget.flashBytes),
      formatBytes(b.modelBudget.arenaBytes),
    ]),
  );
}

function renderBoard(b: BoardProfile): string {
  const rows: [string, string][] = [
    ['id', b.id],
    ['name', b.name],
    ['kind', b.kind],
    ['mcu', b.mcu],
    ['core', b.core],
    ['clock', `${b.clockMHz} MHz`],
    ['flash', formatBytes(b.flashBytes)],
    ['RAM', formatBytes(b.ramBytes)],
    ['FPU', b.fpu],
    ['SIMD/DSP', b.dsp ? 'yes' : 'no'],
    [
      'firmware (reserved)',
      `${formatBytes(b.reserved.firmwareFlashBytes)} flash, ${formatBytes(b.reserved.firmwareRamBytes)} RAM (${b.reserved.figures})`,
    ],
    ['model store', `${formatBytes(b.modelStore.bytes)} ${b.modelStore.medium}, ${b.modelStore.slots} slots`],
    [
      'model budget',
      `${formatBytes(b.modelBudget.flashBytes)} model, ${formatBytes(b.modelBudget.arenaBytes)} arena`,
    ],
    ['  derivation', b.modelBudget.derivation],
    [
      'UART',
      `${b.uart.defaultBaud} baud default, ${b.uart.maxReliableBaud} max, ${b.uart.nativeUsbCdc ? 'native USB-CDC' : 'USB-serial bridge'}, RX buffer ${b.uart.rxBufferBytes} B`,
    ],
    ['analog', `${b.analog.pins} pins, ${b.analog.adcBits}-bit ADC`],
    ['I2C buses', String(b.i2c.buses)],
  ];
  if (b.notes) rows.push(['notes', b.notes]);
  const sources = b.sources.map((s) => `  - ${s.what}: ${s.url}`).join('\n');
  return `${table(['field', 'value'], rows, { wrap: 80 })}\nsources:\n${sources}`;
}
