/**
 * Proves the storable-string check of the validator: NUL and lone surrogates are found at their
 * path in nested bodies, well-formed surrogate pairs (emoji) and other text pass.
 */
import { expect, it } from 'vitest';
import { unstorableString } from '../../../src/http/validation.js';

it('finds NUL and lone surrogates at their path, and lets pairs through', () => {
  expect(unstorableString({ a: 'ok 🙂 ünï', b: [1, 'x'] }, 'body')).toBeNull();
  expect(unstorableString({ items: [{ order_id: 'ok' }, { order_id: 'x\ud800' }] }, 'body'))
    .toEqual({ path: 'body.items.1.order_id', problem: 'must be well-formed UTF-16 (it contains a lone surrogate)' });
  expect(unstorableString({ r: '\udfffx' }, 'body')?.path).toBe('body.r');
  expect(unstorableString({ r: 'a\u0000b' }, 'querystring')).toEqual({ path: 'querystring.r', problem: 'must not contain NUL characters' });
});
