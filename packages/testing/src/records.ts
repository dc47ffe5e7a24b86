import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * What Redis holds in place of a session id (hashed ids, the default): its SHA-256 in base64url,
 * the key's suffix and the index member. Computed here, not by core, so that tests check the
 * layout from outside the code that writes it.
 */
export function sessionHandle(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The key a session id's session sits under: `<prefix><handle>` (`hashIds: false`: `<prefix><id>`). */
export function sessionKey(id: string, prefix = 'sess:', hashIds = true): string {
  return prefix + (hashIds ? sessionHandle(id) : id);
}

export interface RawRecord {
  data?: string;
  owner?: string;
  createdAt?: number;
  expiresAt?: number;
  lastSeenAt?: number;
  absoluteExpiresAt?: number;
  version?: number;
  meta?: string;
}

/**
 * A session record in the stored layout (src/lua/includes/record.lua), written here by hand so
 * tests can plant records the store did not write (another owner, bad meta, a damaged header)
 * and so that the layout itself is checked from outside the code that writes it.
 */
export function rawRecord(fields: RawRecord = {}): string {
  const now = Date.now();
  const expires = fields.expiresAt ?? now + 60_000;
  const meta = fields.meta ?? '';
  const pad = (n: number) => String(n).padStart(13, '0');
  return `~1${pad(expires)}${pad(fields.lastSeenAt ?? now)}|${fields.createdAt ?? now}|${fields.absoluteExpiresAt ?? ''}|${fields.version ?? 1}|${fields.owner ?? ''}|${Buffer.byteLength(meta)}|${meta}${fields.data ?? '{}'}`;
}

const HEADER = /^~1\d{26}\|\d+\|\d*\|\d+\|[^|]*\|(\d+)\|/;

/** The data part of a stored record (what the serializer wrote), read by hand. */
export function recordData(value: string): string {
  const match = HEADER.exec(value);
  if (!match) throw new Error(`not a v1 record: ${value.slice(0, 40)}`);
  return value.slice(match[0].length + Number(match[1]));
}

/** The record with its data part replaced, header and meta kept. */
export function withRecordData(value: string, data: string): string {
  const match = HEADER.exec(value);
  if (!match) throw new Error(`not a v1 record: ${value.slice(0, 40)}`);
  return value.slice(0, match[0].length + Number(match[1])) + data;
}

/** Reads a stored record's data part. */
export async function readRecordData(client: Redis, key: string): Promise<string> {
  return recordData((await client.get(key))!);
}

/** Replaces a stored record's data part, keeping its header, meta and TTL. */
export async function writeRecordData(client: Redis, key: string, data: string): Promise<unknown> {
  return client.set(key, withRecordData((await client.get(key))!, data), 'KEEPTTL');
}
