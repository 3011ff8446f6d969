/**
 * Proves the build fingerprint `npm start` compares (scripts/build-if-stale.mjs) stays the same
 * while nothing changed and changes when a source is edited, added or deleted, or a compiler
 * setting or the lock file changes — so a start compiles exactly when its output could be stale.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../../scripts/build-if-stale.mjs';

const root = mkdtempSync(join(tmpdir(), 'inventory-fingerprint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const write = (path: string, text: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
};
write('src/server.ts', 'export {};\n');
write('src/http/app.ts', 'export const a = 1;\n');
write('tsconfig.json', '{}');
write('package-lock.json', '{}');

describe('build fingerprint', () => {
  it('is the same while nothing changed', () => {
    expect(fingerprint(root)).toBe(fingerprint(root));
  });

  const changes: [string, () => void][] = [
    ['a source edited to the same size', () => write('src/http/app.ts', 'export const a = 2;\n')],
    ['a source touched (mtime only)', () => utimesSync(join(root, 'src/server.ts'), new Date(), new Date(Date.now() + 5000))],
    ['a source added', () => write('src/http/new.ts', 'export {};\n')],
    ['a source deleted', () => rmSync(join(root, 'src/http/new.ts'))],
    ['tsconfig.json changed', () => write('tsconfig.json', '{ }')],
    ['tsconfig.build.json added', () => write('tsconfig.build.json', '{}')],
    ['package-lock.json changed', () => write('package-lock.json', '{"a":1}')],
  ];
  it.each(changes)('changes when %s', (_name, change) => {
    const before = fingerprint(root);
    change();
    expect(fingerprint(root)).not.toBe(before);
  });

  it('ignores files outside its inputs (dist/, test/, docs)', () => {
    const before = fingerprint(root);
    write('dist/server.js', 'x');
    write('test/a.test.ts', 'x');
    write('README.md', 'x');
    expect(fingerprint(root)).toBe(before);
  });
});
