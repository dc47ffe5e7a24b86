import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '@sessionkit/core';
import { freePort, useRedis } from '@sessionkit/testing';
import type { AgentClass } from './agent.js';
import { runToExit, useEntryPoint } from './entry-point.js';

/**
 * SESSION_ENCRYPTION_KEYS on an app's real entry point: the sessions it writes are encrypted at
 * rest, so a dump of its Redis holds none of what the test put in them, while the app still reads
 * them and lists the devices. Call it once, at the top level of the app's main.test.ts.
 */
export function defineEncryptionSuite({ main: mainPath, sessionSecret, Agent }: { main: string; sessionSecret: string; Agent: AgentClass }): void {
  const startMain = useEntryPoint(mainPath);
  describe(`${mainPath} with SESSION_ENCRYPTION_KEYS`, () => {
    const redis = useRedis();
    let client: Redis;
    let url: string;
    beforeAll(() => {
      client = redis.client();
      url = `redis://${client.options.host}:${client.options.port}`;
    });

    /** Every key and value in the Redis, strings whole and sorted sets' members. */
    async function dump(): Promise<string> {
      const out: string[] = [];
      for (const key of await client.keys('*')) {
        const type = await client.type(key);
        out.push(key, type === 'string' ? ((await client.get(key)) ?? '') : type === 'zset' ? (await client.zrange(key, 0, -1)).join('\n') : `<${type}>`);
      }
      return out.join('\n');
    }

    it('a dump after sign-in holds no session data and no device in clear; the app reads its sessions and lists the devices', async () => {
      const current = randomBytes(32).toString('base64');
      const old = randomBytes(32).toString('base64');
      const main = await startMain({
        PORT: String(await freePort()),
        SESSION_SECRET: sessionSecret,
        REDIS_URL: url,
        SESSION_ENCRYPTION_KEYS: `${current},${old}`,
      });
      // A browser no other test uses: what the app stores of it (the device, in meta and data) is the value searched for.
      const browser = `EncryptionProbe/${randomBytes(6).toString('hex')} (X11; Linux x86_64)`;
      const agent = new Agent(browser);
      await agent.signIn(main.url, 'alice');
      expect(await agent.whoAmI(main.url)).toBe('Alice Liddell');
      const sessions = await agent.get(`${main.url}/sessions`);
      expect(sessions.status).toBe(200);
      expect(sessions.text).toContain('EncryptionProbe'); // the listing decrypted the device

      const everything = await dump();
      expect(everything).toContain('user-alice'); // the owner stays in clear (docs/security.md)
      expect(everything).not.toContain('EncryptionProbe');
      expect(everything).not.toContain('Alice Liddell');
      expect(everything).not.toMatch(/"userId"|"device"|"cookie"/);
      expect(everything).toContain(`~e1.${new KeyRing([current]).currentId}`); // under the first key
      for (const text of [main.output(), everything]) {
        expect(text).not.toContain(current);
        expect(text).not.toContain(old);
      }
      expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    });

    it('a malformed key: exits 1 with one line that names the variable, never the key', async () => {
      const short = randomBytes(16).toString('base64');
      const ended = await runToExit(mainPath, {
        PORT: String(await freePort()),
        SESSION_SECRET: sessionSecret,
        REDIS_URL: url,
        SESSION_ENCRYPTION_KEYS: short,
      });
      expect(ended.code, ended.stderr).toBe(1);
      expect(ended.stderr.trimEnd()).toMatch(/^Cannot start: option SESSION_ENCRYPTION_KEYS\[0\] is not a 32-byte key in base64/);
      expect(ended.stderr + ended.stdout).not.toContain(short);
    });
  });
}
