import { expect } from 'vitest';

/**
 * The concurrent-saves scenario both adapters run over real HTTP: one signed-in session, then
 * `writers` requests at once, each setting its own top-level key, plus one deleting a key set
 * before. The app's routes hold each request between loading and saving (`POST /keys/:key`,
 * `POST /drop/:key`, `GET /keys`), so every request loads the session before any of them saves:
 * the case where a whole-session save loses all but one change.
 */
export async function concurrentSaves(url: string, cookie: string, writers: number): Promise<{ keys: Record<string, unknown>; status: number[] }> {
  // The body is read: express-session sends a response's headers before its save completes, and ends it after.
  const post = async (path: string) => {
    const response = await fetch(url + path, { method: 'POST', headers: { cookie } });
    await response.text();
    return response;
  };
  const status = (await Promise.all([...Array.from({ length: writers }, (_, i) => post(`/keys/k${i}`)), post('/drop/doomed')])).map(
    (response) => response.status,
  );
  const response = await fetch(`${url}/keys`, { headers: { cookie } });
  return { keys: (await response.json()) as Record<string, unknown>, status };
}

/** What the scenario must end in with merging on: every key kept, the deleted key gone, the owner kept. */
export function expectEveryChangeKept(keys: Record<string, unknown>, writers: number, owner: string): void {
  for (let i = 0; i < writers; i++) expect(keys[`k${i}`], `k${i}`).toBe(`v${i}`);
  expect(keys).not.toHaveProperty('doomed');
  expect(keys.userId).toBe(owner);
}
