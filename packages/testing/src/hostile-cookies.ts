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

/**
 * Near-misses of a "<id>.<signature>" cookie value (Hono's and the Next kit's layout), as `sign`
 * makes it with the app's secret (or `secret`): the bare id, the id with a made-up signature, the
 * real signature with its end changed, another secret's signature, and another id's signature.
 * Never the real value itself.
 */
export function dotSignedNearMiss(victimId: string, sign: (value: string, secret?: string) => string): Arbitrary<string> {
  const good = sign(victimId);
  return fc
    .oneof(
      fc.constant(victimId),
      fc.string({ maxLength: 44 }).map((sig) => `${victimId}.${sig}`),
      fc.string({ minLength: 1, maxLength: 8 }).map((extra) => good.slice(0, -2) + extra),
      fc.constant(sign(victimId, 'another secret')),
      fc.constant(`${victimId}.${sign(`${victimId}x`).slice(victimId.length + 2)}`),
    )
    .filter((value) => value !== good);
}

/**
 * The hostile cookie suite's forgeries and signed cookies for a session cookie `name` that holds
 * "<id>.<signature>", URI-encoded, as `sign` signs it (Hono's and the Next kit's layout).
 */
export function dotSignedCookies(name: string, sign: (value: string, secret?: string) => string) {
  return {
    forgedCookies: (victimId: string) => forgedCookieHeader(name, dotSignedNearMiss(victimId, sign)),
    signedCookie: (id: string) => `${name}=${encodeURIComponent(sign(id))}`,
  };
}
