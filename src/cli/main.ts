import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors/index.js';
import { registerAlerts } from './alerts.js';
import { registerBoard } from './board.js';
import { registerBoards } from './boards.js';
import { registerBroker } from './broker.js';
import { registerConvert } from './convert.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerFlash } from './flash.js';
import { registerInfer } from './infer.js';
import { registerInspect } from './inspect.js';
import { renderError } from './output.js';
import { registerRecord } from './record.js';
import { registerRun } from './run.js';
import { registerSim } from './sim.js';
import { registerTrain } from './train.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('tinygate')
  .description(
    'Convert, flash and run anomaly-detection models on microcontroller boards from an IoT gateway.',
  )
  .version(pkg.version, '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions()
  .exitOverride();

registerAlerts(program);
registerBoards(program);
registerBroker(program);
registerDemo(program);
registerConvert(program);
registerInspect(program);
registerInfer(program);
registerTrain(program);
registerEval(program);
registerRecord(program);
registerRun(program);
registerSim(program);
registerBoard(program);
registerFlash(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Usage mistakes (unknown option, missing argument) are user errors; help and version are successes.
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.user;
  } else {
    process.exitCode = renderError(err, { json: process.argv.includes('--json') });
  }
}
