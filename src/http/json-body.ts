/**
 * The JSON body parser: fastify's own (secure-json-parse, refusing `__proto__` and `constructor`
 * poisoning), plus a refusal of duplicate keys. `{"delta":-1,"delta":-2}` parses to the last value,
 * while a gateway or a log reader may take the first, so the two would disagree about the request.
 *
 * Cost on the hot path: one pass of `indexOf` over the text counts its members (colons outside
 * strings) and one walk counts the parsed object's keys; the two differ exactly when a key was
 * repeated (JSON.parse keeps one of them). Only then does a slower scan find the repeated key, to
 * name it. Measured: bench/README.md ("Duplicate-key check").
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (error: Error | null, value?: unknown) => {
      if (error !== null) return done(error, undefined);
      const text = body as string;
      if (membersInText(text) === membersInValue(value)) return done(null, value);
      done(errors.validation(repeatedKeyPath(text), 'appears twice; send each field once'), undefined);
    });
  });
}

/** Colons outside strings: one per object member in valid JSON. */
export function membersInText(text: string): number {
  let count = 0;
  let at = 0;
  let colon = text.indexOf(':');
  for (;;) {
    const quote = text.indexOf('"', at);
    const end = quote === -1 ? text.length : quote;
    if (colon !== -1 && colon < at) colon = text.indexOf(':', at);
    while (colon !== -1 && colon < end) {
      count += 1;
      colon = text.indexOf(':', colon + 1);
    }
    if (quote === -1) return count;
    at = closingQuote(text, quote + 1) + 1;
  }
}

/** Keys of every object in a parsed value (an explicit stack: a deep body must not overflow ours). */
export function membersInValue(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next !== 'object') continue;
    const children = Array.isArray(next) ? next : Object.values(next);
    if (!Array.isArray(next)) count += children.length;
    for (const child of children) if (child !== null && typeof child === 'object') pending.push(child);
  }
  return count;
}

/** The index of the quote that closes a string whose content starts at `from`. */
function closingQuote(text: string, from: number): number {
  for (let index = text.indexOf('"', from); index !== -1; index = text.indexOf('"', index + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(index - 1 - backslashes) === 92) backslashes += 1;
    if (backslashes % 2 === 0) return index;
  }
  return text.length;
}

/** Keys named in an answer as they are; any other is not echoed back. */
const nameable = /^[A-Za-z0-9_]{1,64}$/;

/** The path of the first repeated key (`body.items.3.delta`), by a scan of text already known to be valid JSON. */
export function repeatedKeyPath(text: string): string {
  let at = 0;
  const skipSpace = () => { while (at < text.length && ' \t\n\r'.includes(text[at]!)) at += 1; };
  const readString = (): string => {
    const end = closingQuote(text, at + 1);
    const raw = text.slice(at, end + 1);
    at = end + 1;
    return JSON.parse(raw) as string;
  };
  const scan = (path: string): string | null => {
    skipSpace();
    const opener = text[at];
    if (opener === '"') { readString(); return null; }
    if (opener !== '{' && opener !== '[') {
      while (at < text.length && !',]} \t\n\r'.includes(text[at]!)) at += 1;
      return null;
    }
    at += 1;
    skipSpace();
    if (text[at] === '}' || text[at] === ']') { at += 1; return null; }
    const seen = new Set<string>();
    for (let index = 0; ; index += 1) {
      let childPath = `${path}.${index}`;
      if (opener === '{') {
        skipSpace();
        const key = readString();
        childPath = `${path}.${nameable.test(key) ? key : '<a key>'}`;
        if (seen.has(key)) return childPath;
        seen.add(key);
        skipSpace();
        at += 1; // the colon
      }
      const found = scan(childPath);
      if (found !== null) return found;
      skipSpace();
      at += 1; // a comma, or the closing bracket
      if (text[at - 1] !== ',') return null;
    }
  };
  try {
    return scan('body') ?? 'body';
  } catch {
    // Nesting deeper than our stack: the key cannot be named, the body is refused all the same.
    return 'body';
  }
}
