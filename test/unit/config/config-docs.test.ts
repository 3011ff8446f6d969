/**
 * Proves docs/configuration.md lists every key of the config schema with the schema's default, so
 * a key added (or a default changed) without its documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/config-schema.js';

interface SchemaNode { type?: string; properties?: Record<string, SchemaNode>; default?: unknown }

function leafKeys(node: SchemaNode, path: string[] = []): [string, unknown][] {
  if (node.type === 'object' && node.properties !== undefined) {
    return Object.entries(node.properties).flatMap(([key, child]) => leafKeys(child, [...path, key]));
  }
  return [[path.join('.'), node.default]];
}

/** How the table spells a default: strings in backticks (`""` for empty), numbers and booleans bare. */
function documented(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return value === '' ? '`""`' : `\`${value}\``;
  if (Array.isArray(value)) return `\`${JSON.stringify(value)}\``;
  return String(value);
}

const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
const rows = new Map(doc.split('\n')
  .map((line) => /^\| `([a-z_.]+)` \| ([^|]+) \|/.exec(line))
  .filter((match) => match !== null)
  .map((match) => [match[1]!, match[2]!.trim()]));

describe('docs/configuration.md', () => {
  const keys = leafKeys(configSchema as SchemaNode);
  it('has a row for each of the schema keys', () => {
    expect(keys.length).toBeGreaterThan(50);
    expect(keys.map(([key]) => key).filter((key) => !rows.has(key))).toEqual([]);
  });
  it.each(keys)('documents %s with its default', (key, value) => {
    expect(rows.get(key)).toBe(documented(value));
  });
  it('documents no key the schema does not have', () => {
    const known = new Set(keys.map(([key]) => key));
    expect([...rows.keys()].filter((key) => !known.has(key))).toEqual([]);
  });
});
