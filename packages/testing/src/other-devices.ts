import { expect } from 'vitest';
import type { HttpClient } from './http-client.js';
import { sessionHandle } from './records.js';

/**
 * "Sign out my other devices" over real HTTP, against an adapter's test app with the routes the
 * adapters' test apps share (`/me`, `/sessions`, `/logout-everywhere` with `keepCurrent`): two
 * browsers of one user and a bystander; the laptop lists both of its user's sessions, signs the
 * phone out and stays signed in, and the bystander is untouched. Returns the laptop, with ivy's
 * one session left, for what the adapter's test checks next.
 */
export async function expectOtherDevicesSignedOut<B extends HttpClient & { sid?: string }>(
  signIn: (user: string) => Promise<B>,
  store: { countUserSessions(user: string): Promise<number> },
): Promise<B> {
  const laptop = await signIn('ivy');
  const phone = await signIn('ivy');
  const bystander = await signIn('jack');

  // Listed by handle (hashed ids): the cookie's id is nowhere in Redis.
  const listed = (await laptop.get('/sessions')).json as { id: string; current: boolean }[];
  expect(listed.map((s) => s.id).sort()).toEqual([laptop.sid!, phone.sid!].map(sessionHandle).sort());
  expect(listed.find((s) => s.current)?.id).toBe(sessionHandle(laptop.sid!));

  expect((await laptop.post('/logout-everywhere', { keepCurrent: true })).json.count).toBe(1);
  expect((await phone.get('/me')).json.userId).toBeNull();
  expect((await laptop.get('/me')).json.userId).toBe('ivy');
  expect((await bystander.get('/me')).json.userId).toBe('jack');
  expect(((await laptop.get('/sessions')).json as { id: string }[]).map((s) => s.id)).toEqual([sessionHandle(laptop.sid!)]);
  expect(await store.countUserSessions('ivy')).toBe(1);
  return laptop;
}
