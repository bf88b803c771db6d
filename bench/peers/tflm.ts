// TensorFlow Lite Micro on the same emulated core as our runtime (bench/peers/tflm, built by its get.sh):
// one QEMU run per model feeds it the inputs our board got and reads back its outputs, arena and
// instructions per inference. Absent build: the bench says so and reports our side alone.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PEER_DIR = fileURLToPath(new URL('./tflm/', import.meta.url));
/** The QEMU machine each core's build runs on (the same MPS2 board, a Cortex-M3 or a Cortex-M4). */
const MACHINE = { m3: 'mps2-an385', m4: 'mps2-an386' } as const;
export type TflmCore = keyof typeof MACHINE;

export interface TflmRun {
  /** arena_used_bytes() after AllocateTensors. */
  arenaUsedBytes: number;
  /** The smallest arena AllocateTensors succeeds in (binary search, 4-byte steps); 0 when not searched. */
  arenaMinimumBytes: number;
  instructions: number[];
  /** The output of each inference, as bytes. */
  outputs: Uint8Array[];
}

/** The peer's runner for a core, or null with the command that builds it. */
export function tflmPeer(core: TflmCore): { elf: string } | { missing: string } {
  const elf = join(PEER_DIR, 'build', core, 'tflm-runner.elf');
  return existsSync(elf) ? { elf } : { missing: `${elf} is not built: run bash bench/peers/tflm/get.sh` };
}

/** Run every input through TFLite Micro on the emulated core; outputs are `outputBytes` each. */
export async function runOnTflm(
  core: TflmCore,
  elf: string,
  model: Uint8Array,
  inputs: Uint8Array[],
  outputBytes: number,
  /** Skip the search for the smallest arena (arenaMinimumBytes is then 0). */
  o: { noMinimum?: boolean } = {},
): Promise<TflmRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-tflm-'));
  try {
    writeFileSync(join(dir, 'model.tflite'), model);
    if (o.noMinimum) writeFileSync(join(dir, 'no-minimum'), '');
    writeFileSync(join(dir, 'inputs.bin'), Buffer.concat(inputs));
    // -icount shift=0: one instruction is one nanosecond of the board's clock, as for our board.
    await run(
      'qemu-system-arm',
      [
        '-M',
        MACHINE[core],
        '-nographic',
        '-monitor',
        'none',
        '-serial',
        'none',
        '-semihosting-config',
        'enable=on,target=native',
        '-icount',
        'shift=0,align=off,sleep=off',
        '-kernel',
        elf,
      ],
      { cwd: dir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as
      | Omit<TflmRun, 'outputs'>
      | { error: string };
    if ('error' in result) throw new Error(`TFLite Micro: ${result.error}`);
    const all = readFileSync(join(dir, 'outputs.bin'));
    const outputs = inputs.map(
      (_, i) => new Uint8Array(all.subarray(i * outputBytes, (i + 1) * outputBytes)),
    );
    return { ...result, outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Code and read-only data of TFLite Micro's framework and FULLY_CONNECTED kernel in the FC-only build, from
 * its linker map: the input sections kept from TFLite Micro's objects, libgcc (the soft-float helpers its
 * multiplier set-up pulls in) and libc's memory and string routines, as our runtime's size counts what it pulls in;
 * not the runner, stdio or semihosting.
 */
export function tflmFrameworkFcBytes(core: TflmCore): number | null {
  const map = join(PEER_DIR, 'build', core, 'tflm-fc.elf.map');
  if (!existsSync(map)) return null;
  const text = readFileSync(map, 'utf8');
  // After "Linker script and memory map"; a kept input section: " .text.name  0xADDR  0xSIZE  path.o",
  // its name sometimes on the line before.
  const kept = text.slice(text.indexOf('Linker script and memory map'));
  let bytes = 0;
  const re = /^ \.(?:text|rodata|data)\S*\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+\.o\)?)$/gm;
  for (const m of kept.replace(/^( \.\S+)\n\s+(0x)/gm, '$1 $2').matchAll(re)) {
    const from = m[2]!;
    if (from.includes('/obj-fc/tensorflow/') || /libgcc\.a\(|libc_nano\.a\(lib_a-(mem|str)/.test(from))
      bytes += Number.parseInt(m[1]!, 16);
  }
  return bytes;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/**
 * TFLite Micro's figures for a model on a core, run on the inputs our board got: its arena (used and the
 * smallest that allocates), its instructions per inference (median), and how many output elements differ
 * from our board's. `{ missing }` when the peer is not built.
 */
export async function tflmBeside(
  core: TflmCore,
  model: Uint8Array,
  samples: { input: Uint8Array; output: Uint8Array }[],
): Promise<
  | {
      arenaUsedBytes: number;
      arenaMinimumBytes: number;
      instructionsPerInference: number;
      elementsDifferingFromOurs: number;
    }
  | { missing: string }
> {
  const peer = tflmPeer(core);
  if ('missing' in peer) return peer;
  const r = await runOnTflm(
    core,
    peer.elf,
    model,
    samples.map((s) => s.input),
    samples[0]!.output.length,
  );
  let differing = 0;
  samples.forEach((s, i) => {
    for (let k = 0; k < s.output.length; k++) if (s.output[k] !== r.outputs[i]![k]) differing++;
  });
  return {
    arenaUsedBytes: r.arenaUsedBytes,
    arenaMinimumBytes: r.arenaMinimumBytes,
    instructionsPerInference: median(r.instructions),
    elementsDifferingFromOurs: differing,
  };
}
