import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The `tinygate` program with no command yet: `registerCommands` adds them. */
export function createProgram(): Command {
  return new Command('tinygate')
    .description(
      'Convert, flash and run anomaly-detection models on microcontroller boards from an IoT gateway.',
    )
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
}

/**
 * Each command's module, loaded only when that command runs (or all of them, for help and for an unknown
 * command's suggestions): a command pays only for what it uses. The order is the order of `--help`.
 */
export const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  alerts: async () => (await import('./alerts.js')).registerAlerts,
  boards: async () => (await import('./boards.js')).registerBoards,
  broker: async () => (await import('./broker.js')).registerBroker,
  demo: async () => (await import('./demo.js')).registerDemo,
  convert: async () => (await import('./convert.js')).registerConvert,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  infer: async () => (await import('./infer.js')).registerInfer,
  train: async () => (await import('./train.js')).registerTrain,
  shrink: async () => (await import('./shrink.js')).registerShrink,
  eval: async () => (await import('./eval.js')).registerEval,
  detect: async () => (await import('./detect.js')).registerDetect,
  record: async () => (await import('./record.js')).registerRecord,
  learn: async () => (await import('./learn.js')).registerLearn,
  models: async () => (await import('./learn.js')).registerModels,
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
  firmware: async () => (await import('./firmware.js')).registerFirmware,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
};

/** The commands to register for these arguments (global options take no value, so the first word is the command). */
export function commandsFor(args: string[]): string[] {
  const word = args.find((a) => !a.startsWith('-'));
  if (word !== undefined && word in COMMANDS) return [word];
  if (word === undefined && args.some((a) => a === '-V' || a === '--version')) return [];
  return Object.keys(COMMANDS);
}

/** Register the commands these arguments need (all of them when `args` is omitted). */
export async function registerCommands(program: Command, args?: string[]): Promise<void> {
  for (const name of args ? commandsFor(args) : Object.keys(COMMANDS)) (await COMMANDS[name]!())(program);
}
