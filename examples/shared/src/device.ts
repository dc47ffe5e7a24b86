/**
 * A short, human description of a user agent, such as "Chrome on Linux" or "Safari on iPhone".
 * Heuristic on purpose: it labels rows in an "Active sessions" list, it does not make decisions.
 */

const BROWSERS: [RegExp, string][] = [
  // Order matters: Edge, Opera, Samsung and others also say "Chrome"; Chrome also says "Safari".
  [/\bEdg(?:e|A|iOS)?\/\d/, 'Edge'],
  [/\bOPR\/\d|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\/\d/, 'Samsung Internet'],
  [/\bVivaldi\/\d/, 'Vivaldi'],
  [/\bYaBrowser\/\d/, 'Yandex Browser'],
  [/\bFirefox\/\d|\bFxiOS\/\d/, 'Firefox'],
  [/\bHeadlessChrome\/\d/, 'Headless Chrome'],
  [/\bChrom(?:e|ium)\/\d|\bCriOS\/\d/, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/\d/, 'Safari'],
  [/\bMSIE \d|\bTrident\/\d/, 'Internet Explorer'],
  [/^curl\//i, 'curl'],
  [/^Wget\//i, 'Wget'],
  [/\bnode(?:-fetch)?\b|^undici\b/i, 'Node.js'],
  [/\bPostmanRuntime\//, 'Postman'],
  [/^python-requests\/|^Python-urllib\//i, 'Python'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows Phone\b/, 'Windows Phone'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

function first(table: [RegExp, string][], text: string): string | undefined {
  return table.find(([pattern]) => pattern.test(text))?.[1];
}

export function describeDevice(userAgent: string | null | undefined): string {
  const ua = (userAgent ?? '').slice(0, 512).trim();
  if (!ua) return 'Unknown device';
  const browser = first(BROWSERS, ua);
  const system = first(SYSTEMS, ua);
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `Browser on ${system}`;
  // Unknown clients: show the product token ("MyApp/1.2" → "MyApp"), never the whole string.
  const token = /^[A-Za-z][\w.-]{0,40}/.exec(ua)?.[0];
  return token ?? 'Unknown device';
}
