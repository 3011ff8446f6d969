/**
 * Keyset pagination shared by the list and history routes. A cursor is the key of the last row of
 * the previous page, as a decimal string: opaque to clients, cheap to seek (`key > cursor` on an
 * index), and stable while rows change, unlike an offset.
 */
import { errors } from '../errors.js';
import * as limits from '../limits.js';

export const cursorPattern = '^[1-9][0-9]{0,15}$';

export const pageQueryFields = {
  limit: {
    type: 'integer', format: 'int32', minimum: 1, maximum: limits.pageRowsMax, default: limits.pageRowsDefault,
    description: 'Rows per page',
  },
  cursor: { type: 'string', pattern: cursorPattern, description: 'next_cursor of the previous page' },
} as const;

export const nextCursorSchema = {
  type: ['string', 'null'],
  description: 'Pass as cursor to get the next page; null on the last page.',
} as const;

export function parseCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const key = Number(cursor);
  if (!Number.isSafeInteger(key)) throw errors.validation('querystring.cursor', 'is not a cursor from a previous page');
  return key;
}

/**
 * A page from rows fetched with `limitRows + 1`: the extra row only says that another page
 * exists, so the last page never ends with an empty follow-up request.
 */
export function pageOf<T>(rows: T[], limitRows: number, keyOf: (row: T) => number): { items: T[]; next_cursor: string | null } {
  if (rows.length <= limitRows) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limitRows);
  return { items, next_cursor: String(keyOf(items[items.length - 1]!)) };
}
