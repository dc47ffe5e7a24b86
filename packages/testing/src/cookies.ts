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
