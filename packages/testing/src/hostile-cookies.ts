import fc, { type Arbitrary } from 'fast-check';

/**
 * Inputs for both adapters' "hostile cookies, property-based, over HTTP" tests. Only what does
 * not depend on the framework is here: each adapter signs cookies its own way, so it brings its
 * own near-misses of a real cookie and its own signing.
 */

/**
 * Cookie values an attacker could send: glob and hash-tag characters, unicode, long strings, and
 * the adapter's `nearMiss` values (forgeries of a real session cookie).
 */
export function hostileCookieValue(nearMiss: Arbitrary<string>): Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '{', '}', ':', '\\', ' ', '%', '^', '-', 'a', 's', '.', '=', '"', '/'), maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ minLength: 1000, maxLength: 4000 }),
    nearMiss,
  );
}

/**
 * Session ids a custom id generator gone wrong could make (the adapter then signs them validly):
 * glob and hash-tag characters, unicode, and patterns that would match the victim's key if they
 * were ever used as one. Never the victim's id itself, nor a string with a lone surrogate (no
 * cookie can carry one: encodeURIComponent throws on it, and the store refuses such ids anyway).
 */
export function hostileSessionId(victimId: string): Arbitrary<string> {
  return fc
    .oneof(
      fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '{', '}', ':', '\\', ' ', 'a'), minLength: 1, maxLength: 24 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }),
      fc.constantFrom('*', `${victimId.slice(0, 8)}*`, `${victimId.slice(0, -1)}?`, '[a-zA-Z0-9_-]*', `{alice}`, `../${victimId}`),
    )
    .filter((s) => s.isWellFormed() && s !== victimId);
}

/** What a browser could put in a Cookie header: printable ASCII as is, anything else percent-encoded. */
export const cookieValue = (value: string) => (/^[\x21-\x7e]*$/.test(value) && !/[;,]/.test(value) ? value : encodeURIComponent(value));

/**
 * Whole Cookie headers that forge the session cookie `name`: hostileCookieValue(nearMiss), and
 * sometimes the forged cookie twice, or before a second name=value pair.
 */
export function forgedCookieHeader(name: string, nearMiss: Arbitrary<string>): Arbitrary<string> {
  return fc
    .tuple(hostileCookieValue(nearMiss), fc.boolean())
    .map(([raw, twice]) => `${name}=${cookieValue(raw)}${twice ? `; ${name}=${cookieValue(raw)}x; other=1` : ''}`);
}
