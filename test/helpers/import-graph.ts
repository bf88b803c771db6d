// The modules a program loads, found by reading its source: static imports, re-exports, import() and
// require() with a literal specifier, followed through relative paths. Type-only imports are skipped
// (the compiler drops them).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

export interface BareImport {
  /** The package name (`@scope/name` or `name`); `node:` builtins are left out. */
  pkg: string;
  specifier: string;
  /** The file that imports it. */
  from: string;
}

export interface ImportGraph {
  files: string[];
  bare: BareImport[];
}

/** The specifiers one file loads at run time; `staticOnly` leaves out import() and require(), which load later. */
export function runtimeSpecifiers(file: string, staticOnly = false): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const literal = (n: ts.Node | undefined) => (n && ts.isStringLiteralLike(n) ? n.text : undefined);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      const s = literal(node.moduleSpecifier);
      if (s) found.push(s);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      const s = literal(node.moduleSpecifier);
      if (s) found.push(s);
    } else if (!staticOnly && ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      // require.resolve('x') and createRequire(...).resolve('x') name a package the program needs too.
      const isResolve =
        ts.isPropertyAccessExpression(callee) &&
        callee.name.text === 'resolve' &&
        ((ts.isIdentifier(callee.expression) && callee.expression.text === 'require') ||
          (ts.isCallExpression(callee.expression) &&
            ts.isIdentifier(callee.expression.expression) &&
            callee.expression.expression.text === 'createRequire'));
      if (isImport || isRequire || isResolve) {
        const s = literal(node.arguments[0]);
        if (s) found.push(s);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `x.js` may be a TypeScript source (`x.ts`) when the graph is walked over src/. */
function resolveRelative(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  if (existsSync(target)) return target;
  const ts = target.replace(/\.js$/, '.ts');
  if (existsSync(ts)) return ts;
  throw new Error(`${from}: imports ${specifier}, which does not exist`);
}

export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * Every file reachable from the entry through relative imports, and every package they load; with
 * `staticOnly`, what loading the entry alone loads (before any import() or require() runs).
 */
export function importGraph(entry: string, staticOnly = false): ImportGraph {
  const seen = new Set<string>();
  const bare: BareImport[] = [];
  const queue = [resolve(entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of runtimeSpecifiers(file, staticOnly)) {
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const target = resolveRelative(file, specifier);
        if (/\.(m?js|ts)$/.test(target)) queue.push(target);
      } else {
        bare.push({ pkg: packageName(specifier), specifier, from: file });
      }
    }
  }
  return { files: [...seen].sort(), bare };
}
