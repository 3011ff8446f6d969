/**
 * PostgreSQL array literals, built directly. A flush sends its log columns as arrays; pg's generic
 * serialiser walks every element through `prepareValue` and two regular expressions, which was a
 * visible share of a flush's CPU. Elements are double-quoted, so only `"` and `\` need escaping
 * (NUL cannot reach here: request schemas refuse it).
 */
const needsEscape = /["\\]/;

export function bigintArrayLiteral(values: readonly (number | null)[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i += 1) {
    if (i > 0) literal += ',';
    const value = values[i];
    literal += value === null || value === undefined ? 'NULL' : String(value);
  }
  return `${literal}}`;
}

export function textArrayLiteral(values: readonly (string | null)[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i += 1) {
    if (i > 0) literal += ',';
    const value = values[i];
    if (value === null || value === undefined) {
      literal += 'NULL';
    } else {
      literal += `"${needsEscape.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
    }
  }
  return `${literal}}`;
}
