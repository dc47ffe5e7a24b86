import { describe, expect, it } from 'vitest';
import { useRedisTls } from '@sessionkit/testing';
import { expectNoStack, sessionkit, sessionkitJson } from './helpers.js';

/** A rediss:// URL to a real TLS listener whose certificate comes from a throwaway CA. */

const redis = useRedisTls();

describe('rediss://', () => {
  it('connects when Node trusts the CA (NODE_EXTRA_CA_CERTS), as the docs say', async () => {
    await redis.client().set('sess:tls-probe', JSON.stringify({ cookie: {}, userId: 'tess' }), 'PX', 60_000);
    const run = await sessionkitJson(['--url', redis.url, 'migrate', '--dry-run'], { NODE_EXTRA_CA_CERTS: redis.files.caFile });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ connectRedisSessions: 1, wouldMove: 1 });
  });

  it('refuses a certificate it cannot verify, in one line', async () => {
    const run = await sessionkit(['--url', redis.url, 'list', 'tess']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^sessionkit: cannot connect to Redis at rediss:\/\/127\.0\.0\.1:\d+ \(--url\): .*(self-signed|unable to verify|certificate)/m);
    expectNoStack(run.stderr);
  });
});
