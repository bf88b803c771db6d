import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBoards } from '../../src/boards/index.js';
import { runCli } from '../helpers/cli.js';

describe('tinygate CLI conventions', () => {
  it('prints help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: tinygate');
    expect(r.stdout).toContain('boards');
  });

  it('prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 1 with a message on an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('boards --json prints one JSON array of valid profiles and nothing else', async () => {
    const r = await runCli(['boards', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string }[];
    expect(list.length).toBeGreaterThanOrEqual(14);
    expect(list.map((b) => b.id).sort()).toEqual(
      loadBoards()
        .map((b) => b.id)
        .sort(),
    );
  });

  it('boards show prints a readable table', async () => {
    const r = await runCli(['boards', 'show', 'stm32-nucleo-l4r5zi']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('STM32L4R5ZI');
    expect(r.stdout).toMatch(/flash\s*│\s*2 MiB/);
    expect(r.stdout).toMatch(/model budget/);
  });

  it('boards show --json prints the profile', async () => {
    const r = await runCli(['boards', 'show', 'arduino-uno', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).mcu).toMatch(/ATmega328P/);
  });

  it('an unknown board is a user error (exit 1) that lists the known ids', async () => {
    const r = await runCli(['boards', 'show', 'no-such-board']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no board profile with id "no-such-board"');
    expect(r.stderr).toMatch(/hint: Known boards: .*arduino-uno/);
    expect(r.stdout).toBe('');
  });

  it('under --json an error is one JSON document on stdout, exit 1', async () => {
    const r = await runCli(['boards', 'show', 'no-such-board', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('BOARD_UNKNOWN');
    expect(doc.error.hint).toMatch(/Known boards/);
  });

  it('a broken profile folder is reported with file, field and reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-cli-boards-'));
    const good = loadBoards().find((b) => b.id === 'arduino-uno')!;
    writeFileSync(join(dir, 'arduino-uno.json'), JSON.stringify({ ...good, ramBytes: -1 }));
    const r = await runCli(['boards', '--dir', dir, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/arduino-uno\.json: ramBytes: /);
  });
});
