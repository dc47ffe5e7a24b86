import type { DeviceMeta } from '@sessionkit/example-shared/views';

/** What this app keeps in a session. */
export interface AppSession {
  userId?: string;
  /** Browser and IP at sign-in, shown on the Active sessions page (see `meta` in session.ts). */
  device?: DeviceMeta;
  [key: string]: unknown;
}
