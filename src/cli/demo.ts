import type { Command } from 'commander';
import { TinygateError } from '../errors/index.js';
import { action } from './output.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole mission on virtual boards with an embedded broker (not implemented yet)')
    .action(
      action(() => {
        throw new TinygateError(
          'NOT_IMPLEMENTED',
          'the demo (virtual boards, embedded broker, dashboard) is not implemented yet',
          {
            hint: 'See the Status table in README.md; `tinygate boards` works today.',
          },
        );
      }),
    );
}
