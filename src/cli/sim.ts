import type { Command } from 'commander';
import { registerSimBoard } from './sim-board.js';
import { registerSimData } from './sim-data.js';

/** The `sim` group: machine signals as data, and virtual boards that play them. */
export function registerSim(program: Command): void {
  const sim = program.command('sim').description('virtual boards and machine-signal scenarios');
  registerSimData(sim);
  registerSimBoard(sim);
}
