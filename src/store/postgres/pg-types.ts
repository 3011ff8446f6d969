/**
 * PostgreSQL BIGINT arrives as a string by default, because it can exceed 2^53. Every bigint this
 * service stores (stock, versions, ids) is bounded far below that (`limits.stockMax`), so it is
 * parsed to a number here, with an assertion that the bound holds.
 */
import pg from 'pg';
import { assert } from '../../assert.js';

const int8Oid = 20;
const int8ArrayOid = 1016;

function parseInt8(text: string): number {
  const value = Number(text);
  assert(Number.isSafeInteger(value), `bigint ${text} does not fit a JavaScript number`);
  return value;
}

let installed = false;
export function installPgTypeParsers(): void {
  if (installed) return;
  installed = true;
  pg.types.setTypeParser(int8Oid, parseInt8);
  const parseTextArray = pg.types.getTypeParser(1009 as never) as (text: string) => (string | null)[];
  pg.types.setTypeParser(int8ArrayOid as never, (text: string) =>
    parseTextArray(text).map((item) => (item === null ? null : parseInt8(item))));
}
