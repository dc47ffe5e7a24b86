/**
 * When the cookie of one Set-Cookie line lapses, in epoch ms, or undefined for a cookie that
 * lasts as long as the browser session. Max-Age wins over Expires whatever their order, and a
 * Max-Age of 0 or less lapses at once (RFC 6265 section 5.3). The test cookie jars forget a cookie
 * once this time has passed, as a browser does, so a server that stops re-sending the cookie is
 * caught even while it keeps the session alive in Redis.
 */
export function cookieExpiry(attributes: readonly string[], now = Date.now()): number | undefined {
  let expires: number | undefined;
  for (const attribute of attributes) {
    const eq = attribute.indexOf('=');
    if (eq < 0) continue;
    const name = attribute.slice(0, eq).trim().toLowerCase();
    const value = attribute.slice(eq + 1).trim();
    if (name === 'max-age' && /^-?\d+$/.test(value)) return now + Number(value) * 1000;
    if (name === 'expires' && !Number.isNaN(Date.parse(value))) expires = Date.parse(value);
  }
  return expires;
}

/**
 * The cookies a test client holds, by name, with what a browser does to them: it takes in
 * Set-Cookie lines and forgets each cookie once its Max-Age/Expires has passed. A Map, so tests
 * can read, plant or copy a cookie directly.
 */
export class CookieJar extends Map<string, string> {
  /** When each cookie lapses (epoch ms); a cookie without one lasts as long as the jar. */
  private readonly lapses = new Map<string, number>();
  /**
   * Keep sending cookies whatever their expiry, as a replayed or hand-copied cookie would be: for
   * tests of a server's own expiry with sub-second maxAges (Expires has whole seconds, so a
   * browser could drop such a cookie before the server's expiry does).
   */
  keepLapsed = false;

  /** Takes in a response's Set-Cookie lines. */
  absorb(setCookieLines: readonly string[], now = Date.now()): void {
    for (const line of setCookieLines) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      this.set(name, pair!.slice(eq + 1).trim());
      const lapsesAt = cookieExpiry(attributes, now);
      if (lapsesAt === undefined) this.lapses.delete(name);
      else this.lapses.set(name, lapsesAt);
    }
    this.forgetLapsed(now);
  }

  /** Drops the cookies whose expiry has passed, as a browser does before sending any. */
  forgetLapsed(now = Date.now()): void {
    if (this.keepLapsed) return;
    for (const [name, at] of this.lapses) {
      if (at > now) continue;
      this.delete(name);
      this.lapses.delete(name);
    }
  }

  /** The Cookie request header for what the jar holds ('' when empty). */
  header(): string {
    return [...this].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A copy with the same cookies and expiries (a second tab of the same browser). */
  copy(): CookieJar {
    const jar = new CookieJar(this);
    jar.keepLapsed = this.keepLapsed;
    for (const [name, at] of this.lapses) jar.lapses.set(name, at);
    return jar;
  }
}
