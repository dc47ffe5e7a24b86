import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUserId, encodeUserId, escapeGlob, hashId } from '@sessionkit/core';
import { keySlot } from '@sessionkit/core/toolkit';

describe('key layout helpers', () => {
  it('user id encoding round-trips and never contains layout or glob characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }), (userId) => {
        const encoded = encodeUserId(userId);
        expect(encoded).toMatch(/^[A-Za-z0-9._~%-]+$/);
        expect(decodeUserId(encoded)).toBe(Buffer.from(userId, 'utf8').toString('utf8'));
      }),
      { numRuns: 2000 },
    );
  });

  it('distinct user ids never share an encoding', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(encodeUserId(a)).not.toBe(encodeUserId(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes every glob metacharacter', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });

  it('hashes ids to a short stable tag that does not contain the id', () => {
    expect(hashId('abc')).toBe(hashId('abc'));
    expect(hashId('abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(hashId('abc')).not.toBe(hashId('abd'));
  });

  it('computes cluster slots as Redis does (values from CLUSTER KEYSLOT)', () => {
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('hello')).toBe(866);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // empty tag: whole key hashed
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});
