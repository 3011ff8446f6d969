/**
 * Proves the documentation a newcomer reads from a clone holds together: the README stays under
 * 12 KB, and every relative link in README.md, docs/ and bench/README.md names a file inside the
 * repository that exists (no link into a sibling checkout such as ../shared). No services needed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readmeBytesMax = 12 * 1024;

function documents(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join('docs', name));
  return ['README.md', 'bench/README.md', ...docs];
}

/** Targets of markdown links `[text](target)`, without their #fragment; web links are skipped. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
  return targets.filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#')).map((target) => target.split('#')[0]!);
}

describe('documentation', () => {
  it(`README.md is at most ${readmeBytesMax} bytes`, () => {
    expect(statSync(join(root, 'README.md')).size).toBeLessThanOrEqual(readmeBytesMax);
  });

  it.each(documents())('every relative link in %s resolves inside the repository', (file) => {
    const markdown = readFileSync(join(root, file), 'utf8');
    for (const target of relativeLinks(markdown)) {
      const path = resolve(dirname(join(root, file)), target);
      expect(relative(root, path).startsWith('..'), `${file} links outside the repository: ${target}`).toBe(false);
      expect(existsSync(path), `${file} links to a missing file: ${target}`).toBe(true);
    }
  });

  it('README.md links to nothing outside the repository (no web links: a clone must be enough)', () => {
    const markdown = readFileSync(join(root, 'README.md'), 'utf8');
    expect([...markdown.matchAll(/\]\(([a-z]+:[^)\s]*)\)/gi)].map((match) => match[1])).toEqual([]);
  });

  it('no document names a path outside the repository such as ../shared', () => {
    for (const file of documents()) {
      expect(readFileSync(join(root, file), 'utf8'), file).not.toMatch(/\.\.\/shared\//);
    }
  });
});
