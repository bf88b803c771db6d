// docs/errors.md from the code: every `new TinygateError('CODE', …)` in src/, with its exit code, where it
// is thrown and what its hint says. `--check` exits 1 when the file is not what the code gives (a test runs it).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'docs/errors.md');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** A string or template literal as a reader sees it: `${…}` parts become "…". */
function text(node, source) {
  if (!node) return undefined;
  if (ts.isStringLiteralLike(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return node
      .getText(source)
      .slice(1, -1)
      .replace(/\$\{[^}]*\}/g, '…')
      .replace(/\\`/g, '`');
  return undefined;
}

const codes = new Map();
for (const file of sourceFiles(join(root, 'src')).sort()) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isNewExpression(node) && node.expression.getText(source) === 'TinygateError') {
      const [codeArg, , optionsArg] = node.arguments ?? [];
      const code = codeArg && ts.isStringLiteralLike(codeArg) ? codeArg.text : null;
      if (code) {
        const props = new Map(
          optionsArg && ts.isObjectLiteralExpression(optionsArg)
            ? optionsArg.properties
                .filter(ts.isPropertyAssignment)
                .map((p) => [p.name.getText(source), p.initializer])
            : [],
        );
        const kindNode = props.get('kind');
        const kind = !kindNode ? 'user' : (text(kindNode, source) ?? 'user or internal');
        const entry = codes.get(code) ?? { kinds: new Set(), files: new Set(), hints: [] };
        entry.kinds.add(kind);
        entry.files.add(relative(root, file));
        const hint = text(props.get('hint'), source);
        if (hint && !entry.hints.includes(hint)) entry.hints.push(hint);
        codes.set(code, entry);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const exit = (kinds) =>
  [...kinds]
    .flatMap((k) => (k === 'user or internal' ? ['user', 'internal'] : [k]))
    .filter((k, i, all) => all.indexOf(k) === i)
    .map((k) => (k === 'user' ? '1' : '2'))
    .sort()
    .join(' or ');
const cell = (s) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const rows = [...codes.keys()].sort().map((code) => {
  const e = codes.get(code);
  const files = [...e.files].map((f) => `\`${f}\``).join(', ');
  const hint = e.hints.length
    ? cell(e.hints[0]) + (e.hints.length > 1 ? ` (and ${e.hints.length - 1} more)` : '')
    : '';
  return `| \`${code}\` | ${exit(e.kinds)} | ${files} | ${hint} |`;
});
const doc = `# Error codes

Every error tinygate reports has a stable \`code\`. Under \`--json\` a failed command prints
\`{ "error": { "code", "message", "hint", "kind" } }\` on stdout; without it, \`error: <message>\` and
\`hint: <what to do>\` on stderr. Exit code 1 is a user error (the message says what was wrong), 2 an
internal one (a bug: please report it).

This list is made from the code by \`npm run docs:errors\` (\`scripts/errors-doc.mjs\`); a test fails when
it is not current. The hint shown is the first one in the code; messages carry the real numbers.

| code | exit | thrown in | hint |
| ---- | ---- | --------- | ---- |
| \`INTERNAL\` | 2 | \`src/cli/output.ts\` | any failure that is not a tinygate error: a bug; report it with the command you ran |
${rows.join('\n')}
`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== doc) {
    console.error('docs/errors.md is not what the code gives: run `npm run docs:errors`');
    process.exit(1);
  }
} else {
  writeFileSync(target, doc);
  console.error(`docs/errors.md: ${codes.size + 1} codes`);
}
