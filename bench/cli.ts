// CLI start-up cost beside bare Node (`node -e 0`) in the same run: wall time (median of RUNS) and peak
// RSS (GNU time's %M) of the commands a user runs most, and the steady-state RSS of `tinygate run` with
// three host boards. BENCH_CLI_BEFORE=<dir> also measures another checkout (e.g. the commit before a
// change, with its own node_modules) interleaved with this one. Prints one JSON document; progress on stderr.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 9;
const GOAL = { wallRatio: 3, peakMiB: 80 };
/** `tinygate run` is measured once it has streamed this long, over this many one-second samples. */
const RUN_WARMUP_S = 20;
const RUN_SAMPLES = 10;
const TIME = '/usr/bin/time';

if (!existsSync(TIME)) {
  console.error(`${TIME} (GNU time, Debian package "time") is needed to read peak RSS`);
  process.exit(1);
}
const helloWorld = resolve(ROOT, '..', 'shared', 'reference-models', 'hello_world_int8.tflite');
const inspectModel = existsSync(helloWorld) ? helloWorld : join(ROOT, 'models/motor-vib/model.int8.tflite');

// The published package runs dist/: build it first so what is measured is what ships.
execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });

const trees = [{ tree: 'this', root: ROOT }];
if (process.env.BENCH_CLI_BEFORE) trees.push({ tree: 'before', root: resolve(process.env.BENCH_CLI_BEFORE) });

const commands: { name: string; args: (root: string) => string[] }[] = [
  { name: 'node -e 0', args: () => ['-e', '0'] },
  { name: 'tinygate --version', args: (r) => [join(r, 'bin/tinygate.js'), '--version'] },
  { name: 'tinygate boards --json', args: (r) => [join(r, 'bin/tinygate.js'), 'boards', '--json'] },
  {
    name: `tinygate inspect ${inspectModel.split('/').pop()}`,
    args: (r) => [join(r, 'bin/tinygate.js'), 'inspect', inspectModel],
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (kib: number) => +(kib / 1024).toFixed(1);

/** Wall seconds (measured here) and peak RSS in KiB (from GNU time) of one run. */
function measureOnce(args: string[], cwd: string): { wallS: number; peakKiB: number } {
  const report = join(tmp, 'time.txt');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M', '-o', report, process.execPath, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return { wallS, peakKiB: Number(readFileSync(report, 'utf8').trim().split('\n').pop()) };
}

const tmp = mkdtempSync(join(tmpdir(), 'tg-bench-cli-'));
const samples = new Map<string, { wallS: number[]; peakKiB: number[] }>();
for (let run = 0; run < RUNS; run++) {
  console.error(`  start-up run ${run + 1}/${RUNS}`);
  for (const t of trees) {
    for (const c of commands) {
      if (c.name === 'node -e 0' && t.tree !== 'this') continue;
      const key = `${t.tree}\t${c.name}`;
      const s = samples.get(key) ?? { wallS: [], peakKiB: [] };
      const m = measureOnce(c.args(t.root), tmp);
      s.wallS.push(m.wallS);
      s.peakKiB.push(m.peakKiB);
      samples.set(key, s);
    }
  }
}
const node = samples.get('this\tnode -e 0')!;
const nodeWall = median(node.wallS);
const startup = [...samples].map(([key, s]) => {
  const [tree, command] = key.split('\t') as [string, string];
  const wallS = median(s.wallS);
  const peakMiB = mib(median(s.peakKiB));
  const vsNode = +(wallS / nodeWall).toFixed(2);
  return {
    tree,
    command,
    wallS: +wallS.toFixed(3),
    vsNode,
    peakMiB,
    ...(command === 'node -e 0' ? {} : { meetsGoal: vsNode <= GOAL.wallRatio && peakMiB <= GOAL.peakMiB }),
  };
});

/** VmRSS of a process in KiB, or null once it has gone. */
function rssKiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `tinygate run` with three host boards (the demo's machines at 1 kHz, the shipped int8 model). */
async function runRss(tree: string, root: string) {
  const dir = mkdtempSync(join(tmp, `run-${tree}-`));
  const board = (id: string, scenario: string) => `
  - id: ${id}
    profile: virtual-host
    virtual: { scenario: ${scenario}, firmware: host }
    samplingRateHz: 1000
    sensors: [{ type: accelerometer, controller: ADXL335, name: vib, pins: [A0, A1, A2] }]
    model: ${join(root, 'models/motor-vib')}`;
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    `gateway: { id: bench, dataDir: ${dir} }\nboards:${board('m1', 'healthy')}${board('m2', 'imbalance')}${board('m3', 'bearing-outer-race')}\nmqtt: { embedded: { port: 0 } }\ndashboard: { port: 0 }\nlog: { level: warn }\n`,
  );
  console.error(
    `  tinygate run, three host boards (${tree}): ${RUN_WARMUP_S} s warm-up, ${RUN_SAMPLES} s sampled`,
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin/tinygate.js'), 'run', '--config', config],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const exited = new Promise((r) => child.once('exit', r));
  await sleep(RUN_WARMUP_S * 1000);
  const rss: number[] = [];
  for (let i = 0; i < RUN_SAMPLES; i++) {
    const v = rssKiB(child.pid!);
    if (v === null) throw new Error(`tinygate run (${tree}) stopped before it was measured`);
    rss.push(v);
    await sleep(1000);
  }
  child.kill('SIGTERM');
  await exited;
  return {
    tree,
    command: 'tinygate run (3 host boards)',
    steadyRssMiB: mib(median(rss)),
    maxRssMiB: mib(Math.max(...rss)),
  };
}

const run = [];
for (const t of trees) run.push(await runRss(t.tree, t.root));
rmSync(tmp, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify(
    {
      runs: RUNS,
      goal: { wallVsNodeAtMost: GOAL.wallRatio, peakMiBAtMost: GOAL.peakMiB },
      cpus: (await import('node:os')).cpus().length,
      startup,
      run,
    },
    null,
    2,
  )}\n`,
);
