// Docs say what the code does: every docs/*.md that the README, a doc or the code points at exists, and
// every tinygate command line the README shows names real commands and options.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram, registerCommands } from '../../src/cli/program.js';
import { ROOT } from '../helpers/cli.js';

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory())
      return ['node_modules', 'dist', 'build', 'generated'].includes(e.name) ? [] : files(p, ext);
    return ext.test(e.name) ? [p] : [];
  });
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('docs match the code', () => {
  it('every docs/*.md path mentioned in the README, the docs and the code exists', () => {
    const sources = [
      join(ROOT, 'README.md'),
      ...files(join(ROOT, 'docs'), /\.md$/),
      ...files(join(ROOT, 'src'), /\.ts$/),
      ...files(join(ROOT, 'firmware-bridge'), /\.[ch]$/),
      ...files(join(ROOT, 'bench'), /\.ts$/),
    ];
    const mentions: string[] = [];
    const missing: string[] = [];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(/\bdocs\/[\w.-]+\.md\b/g)].map((m) => join(ROOT, m[0]));
      // Links between docs are relative to docs/.
      if (file.includes(`${join(ROOT, 'docs')}/`))
        targets.push(
          ...[...text.matchAll(/\]\(([\w.-]+\.md)(#[^)]*)?\)/g)].map((m) => join(dirname(file), m[1]!)),
        );
      for (const t of targets) {
        mentions.push(t);
        if (!existsSync(t)) missing.push(`${relative(ROOT, file)} mentions ${relative(ROOT, t)}`);
      }
    }
    expect(mentions.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('every tinygate command line in the README names real commands and options', async () => {
    const program = createProgram();
    await registerCommands(program);
    const lines = [
      ...[...readme.matchAll(/`((?:npx )?tinygate [^`]+)`/g)].map((m) => m[1]!),
      ...readme
        .split('```')
        .filter((_, i) => i % 2 === 1) // inside code blocks
        .flatMap((block) => block.split('\n'))
        .filter((l) => /^\s*(npx )?tinygate /.test(l))
        .map((l) => l.replace(/\s+#.*$/, '')),
      ...[...readme.matchAll(/npm start -- ([^`\n]+)/g)].map((m) => `tinygate demo ${m[1]}`),
    ];
    const problems: string[] = [];
    let checked = 0;
    for (const line of lines) {
      const words = line.replace(/^npx /, '').replace(/\\\|/g, '|').split(/\s+/).slice(1);
      if (!words.length || words[0]!.startsWith('<')) continue; // `tinygate <command> --help`
      // `alerts list|replay` is two commands.
      const first = words.findIndex((w) => w.includes('|') && /^[a-z]/.test(w));
      const variants =
        first >= 0 && !words.slice(0, first).some((w) => w.startsWith('-'))
          ? words[first]!.split('|').map((alt) => words.map((w, i) => (i === first ? alt : w)))
          : [words];
      for (const v of variants) {
        checked++;
        const problem = check(program, v);
        if (problem) problems.push(`\`${line}\`: ${problem}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});

/** Walk the subcommands the words name, then check each flag is one of the command's options. */
function check(program: Command, words: string[]): string | null {
  let cmd = program;
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-') || w.startsWith('[') || w.startsWith('<')) break;
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!sub) {
      if (cmd === program) return `no command "${w}"`;
      break; // a positional argument
    }
    cmd = sub;
  }
  if (cmd === program && !words.some((w) => /^-(V|-version|h|-help)$/.test(w))) return 'names no command';
  for (const w of words.slice(i)) {
    const flag = /^\[?(--?[a-zA-Z][\w-]*)/.exec(w)?.[1];
    if (!flag || flag === '--help' || flag === '-h') continue;
    if (cmd === program && (flag === '--version' || flag === '-V')) continue;
    if (!cmd.options.some((o) => o.long === flag || o.short === flag || (o.negate && o.long === flag)))
      return `${cmd.name()} has no option ${flag}`;
  }
  return null;
}
