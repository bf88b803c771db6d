// `tinygate doctor` finds what a person would otherwise find by failing: a broker nobody answers on, a
// serial port that is not there, missing tools, an old Node; and it says what to do.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNode } from '../../src/doctor/index.js';
import { runCli } from '../helpers/cli.js';

interface Report {
  ok: boolean;
  checks: { name: string; status: string; detail: string; fix?: string }[];
}
const find = (r: Report, prefix: string) => r.checks.find((c) => c.name.startsWith(prefix));

describe('tinygate doctor', () => {
  it('passes on this machine with a broker that answers, and lists the tools', async () => {
    const server = createServer((s) => s.destroy()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runCli(['doctor', '--broker', `mqtt://127.0.0.1:${port}`, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.ok).toBe(true);
      expect(find(report, 'node')?.status).toBe('ok');
      expect(find(report, 'tool make')).toMatchObject({ status: 'ok' });
      expect(find(report, 'broker')).toMatchObject({ status: 'ok' });
    } finally {
      server.close();
    }
  });

  it("fails on a config's missing port and unreachable broker, saying what to fix", async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const dir = mkdtempSync(join(tmpdir(), 'tg-doctor-'));
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      `gateway: { id: plant, dataDir: ./data }\nboards:\n  - id: press\n    profile: arduino-uno\n    port: /dev/ttyACM97\n    sensors: [{ type: analog, name: p, pin: A0 }]\nmqtt: { url: 'mqtt://127.0.0.1:${port}' }\n`,
    );
    const r = await runCli(['doctor', '--config', config, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(false);
    expect(find(report, 'serial /dev/ttyACM97')).toMatchObject({ status: 'fail', detail: 'no such device' });
    expect(find(report, 'broker')).toMatchObject({ status: 'fail' });
    expect(find(report, 'broker')?.detail).toMatch(/ECONNREFUSED/);
    expect(find(report, 'broker')?.fix).toMatch(/start the broker/);
    expect(find(report, 'data folder')).toMatchObject({ status: 'ok' });

    const human = await runCli(['doctor', '--config', config]);
    expect(human.stdout).toMatch(/FAIL {2}serial \/dev\/ttyACM97: no such device\n {6}fix: /);
  });

  it('refuses a Node older than the engines field allows', () => {
    expect(checkNode('18.19.0')).toMatchObject({ status: 'fail' });
    expect(checkNode('20.14.0').status).toBe('fail');
    expect(checkNode('20.15.0').status).toBe('ok');
    expect(checkNode('22.1.0').status).toBe('ok');
  });
});
