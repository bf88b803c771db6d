import { CommanderError } from 'commander';
import { ExitCode, TinygateError } from '../errors/index.js';
import { renderError } from './output.js';
import { createProgram, registerCommands } from './program.js';

const program = createProgram();
await registerCommands(program, process.argv.slice(2));

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
