/**
 * Proves the hand-built array literals mean to PostgreSQL exactly the arrays they were built from:
 * tricky text (quotes, backslashes, braces, commas, spaces, NULL-looking words, unicode) and
 * numbers round-trip through `$1::text[]` / `$1::bigint[]` unchanged, NULLs included.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bigintArrayLiteral, textArrayLiteral } from '../../src/store/postgres/array-literals.js';

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await client.connect();
});
afterAll(async () => { await client.end(); });

it('round-trips tricky text and numbers', async () => {
  const texts = ['plain', '', ' ', 'a"b', 'a\\b', '\\"', '{x,y}', 'a,b', 'NULL', 'null', null, '🙂 ünï', "it's", '\t\n'];
  const { rows: [textRow] } = await client.query('SELECT $1::text[] AS value', [textArrayLiteral(texts)]);
  expect(textRow.value).toEqual(texts);
  const numbers = [0, -1, 1, 9_007_199_254_740_991, -9_007_199_254_740_991, null, 42];
  const { rows: [numberRow] } = await client.query('SELECT $1::bigint[]::text[] AS value', [bigintArrayLiteral(numbers)]);
  expect(numberRow.value).toEqual(numbers.map((n) => (n === null ? null : String(n))));
  expect(textArrayLiteral([])).toBe('{}');
});
