import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, TinygateError } from '../errors/index.js';
import { renderError } from './output.js';

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

/**
 * Each command's module, loaded only when that command runs (or all of them, for help and for an unknown
 * command's suggestions): a command pays only for what it uses. The order is the order of `--help`.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  alerts: async () => (await import('./alerts.js')).registerAlerts,
  boards: async () => (await import('./boards.js')).registerBoards,
  broker: async () => (await import('./broker.js')).registerBroker,
  demo: async () => (await import('./demo.js')).registerDemo,
  convert: async () => (await import('./convert.js')).registerConvert,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  infer: async () => (await import('./infer.js')).registerInfer,
  train: async () => (await import('./train.js')).registerTrain,
  eval: async () => (await import('./eval.js')).registerEval,
  record: async () => (await import('./record.js')).registerRecord,
  run: async () => (await import('./run.js')).registerRun,
  sim: async () => (await import('./sim.js')).registerSim,
  board: async () => {
    const { registerBoard, registerBoardStream } = await import('./board.js');
    return (p) => {
      registerBoard(p);
      registerBoardStream(p);
    };
  },
  flash: async () => (await import('./flash.js')).registerFlash,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
};

/** The commands to register for these arguments (global options take no value, so the first word is the command). */
function commandsFor(args: string[]): string[] {
  const word = args.find((a) => !a.startsWith('-'));
  if (word !== undefined && word in COMMANDS) return [word];
  if (word === undefined && args.some((a) => a === '-V' || a === '--version')) return [];
  return Object.keys(COMMANDS);
}

for (const name of commandsFor(process.argv.slice(2))) (await COMMANDS[name]!())(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Usage mistakes (unknown option, missing argument) are user errors; help and version are successes.
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.user;
    // Commander has told the person on stderr; a script asking for --json gets the error as JSON too.
    if (err.exitCode !== 0 && process.argv.includes('--json')) {
      const usage = new TinygateError('USAGE', err.message.replace(/^error: /, ''), {
        hint: 'Run the command with --help for its arguments and options.',
        details: { commander: err.code },
      });
      process.stdout.write(`${JSON.stringify({ error: usage.toJSON() })}\n`);
    }
  } else {
    process.exitCode = renderError(err, { json: process.argv.includes('--json') });
  }
}

// Every command has finished its work here (long-running ones return only once stopped). A handle a
// library left open (a serial port thread, a socket in TIME_WAIT) must not keep a finished command
// alive: give pending output a moment, then exit. The timer is unref'd, so a clean exit is not delayed.
setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
