/**
 * Proves the duplicate-key check of the JSON body parser on text alone: member counts agree for
 * bodies without repeats (colons and escaped quotes inside strings, nesting, empty containers) and
 * differ for a repeat, whose path is named; keys that are not plain names are not echoed.
 */
import { expect, it } from 'vitest';
import { membersInText, membersInValue, repeatedKeyPath } from '../../../src/http/json-body.js';

const repeats = (text: string) => membersInText(text) !== membersInValue(JSON.parse(text));

it('counts members alike in text and value when no key repeats', () => {
  for (const text of [
    '{"a":1,"b":"x:y","c":{"d":[1,{"e":2}]}}', '{"k\\\\":"v\\":w","l":"\\\\"}', '[]', '"x:y"', '{"a":{},"b":[]}', '{ "a" : [ { "b" : null } ] }',
  ]) expect(repeats(text), text).toBe(false);
});

it('sees a repeat and names its path', () => {
  expect(repeats('{"delta":-1,"delta":-2}')).toBe(true);
  expect(repeatedKeyPath('{"delta":-1,"delta":-2}')).toBe('body.delta');
  const nested = '{"items":[{"a":1},{"a":1,"b":"\\":","a":2}]}';
  expect(repeats(nested)).toBe(true);
  expect(repeatedKeyPath(nested)).toBe('body.items.1.a');
  expect(repeatedKeyPath('{"a <b>":1,"a <b>":2}')).toBe('body.<a key>');
});
