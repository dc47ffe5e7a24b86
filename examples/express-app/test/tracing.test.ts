import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '@sessionkit/testing';
import { useEntryPoint } from '../../shared/test/entry-point.js';
import { Agent } from './helpers.js';

interface SpanLine {
  name: string;
  kind: number;
  id: string;
  traceId: string;
  parent?: string;
  attributes: Record<string, unknown>;
}

const SERVER = 1; // SpanKind.SERVER

/**
 * The example app with OpenTelemetry loaded first (`--import`, examples/shared/test/otel-trace-setup.mjs):
 * @opentelemetry/instrumentation-http makes a span per request, and each session operation the
 * request causes is a sessionkit.<operation> span under it, over real HTTP.
 */
describe('example Express app under OpenTelemetry', () => {
  const startMain = useEntryPoint('examples/express-app/src/main.ts');
  const server = new RedisServer();
  const spansFile = join(tmpdir(), `sessionkit-spans-${process.pid}.jsonl`);
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.dispose();
    rmSync(spansFile, { force: true });
  });

  it('sessionkit spans are children of the HTTP server span of the request that caused them', async () => {
    rmSync(spansFile, { force: true });
    const setup = pathToFileURL(join(import.meta.dirname, '../../shared/test/otel-trace-setup.mjs')).href;
    const main = await startMain({
      PORT: String(await freePort()),
      SESSION_SECRET: 'tracing test secret',
      REDIS_URL: server.url,
      SPANS_FILE: spansFile,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${setup}`.trim(),
    });
    const agent = new Agent();
    await agent.signIn(main.url, 'alice');
    expect(await agent.whoAmI(main.url)).toBe('Alice Liddell');
    expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const spans = readFileSync(spansFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SpanLine);
    const byId = new Map(spans.map((span) => [span.id, span]));
    const sessionSpans = spans.filter((span) => span.name.startsWith('sessionkit.'));
    // The sign-in's save, and the home page's read.
    expect(sessionSpans.map((span) => `${span.name} ${span.attributes['sessionkit.outcome']}`)).toEqual(
      expect.arrayContaining(['sessionkit.set stored', 'sessionkit.get hit']),
    );
    for (const span of sessionSpans) {
      const parent = byId.get(span.parent ?? '');
      expect(parent, `${span.name} has no parent span`).toBeDefined();
      expect(parent!.kind).toBe(SERVER);
      expect(parent!.traceId).toBe(span.traceId);
    }
    const save = sessionSpans.find((span) => span.name === 'sessionkit.set')!;
    expect(byId.get(save.parent!)!.attributes['http.request.method'] ?? byId.get(save.parent!)!.attributes['http.method']).toBe('POST');
    const read = sessionSpans.find((span) => span.name === 'sessionkit.get' && span.attributes['sessionkit.outcome'] === 'hit')!;
    expect(read.attributes['user.id']).toBeUndefined(); // a read names no owner; the save does
    expect(save.attributes['user.id']).toBe('user-alice');
  });
});
