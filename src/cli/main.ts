import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors/index.js';
import { registerAlerts } from './alerts.js';
import { registerBoard, registerBoardStream } from './board.js';
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
registerBoardStream(program);
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

// Every command has finished its work here (long-running ones return only once stopped). A handle a
// library left open (a serial port thread, a socket in TIME_WAIT) must not keep a finished command
// alive: give pending output a moment, then exit. The timer is unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
