/**
 * Lua scripts. Every script reads the clock from Redis (TIME) so that app servers with skewed
 * clocks agree on expiry. Session records are hashes:
 *   d data · u encoded user id · c createdAt · e expiresAt · l lastSeenAt · a absolute expiry · m meta
 * A revoked session is replaced by a tombstone hash { r = revokedAt } that lives `revokedTtl` ms,
 * so a request that loaded the session before it was revoked cannot write it back.
 *
 * Scripts named *_SINGLE also maintain the user's index in the same call; on Redis Cluster the
 * index lives in another slot, so the store runs the session part and the index part separately.
 */

const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function tombstone(key, now, ttl)
  redis.call('DEL', key)
  if ttl > 0 then
    redis.call('HSET', key, 'r', now)
    redis.call('PEXPIRE', key, ttl)
  end
end

-- Revokes one session if it is live and still owned by uid; never touches another user's session.
local function revoke_one(key, uid, now, ttl)
  if redis.call('TYPE', key).ok ~= 'hash' then return 0 end
  local f = redis.call('HMGET', key, 'u', 'r')
  if f[2] or f[1] ~= uid then return 0 end
  tombstone(key, now, ttl)
  return 1
end

-- The index key lives exactly as long as its longest-lived member.
local function index_expire(idx)
  local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
end

local function index_remove(idx, sid)
  if redis.call('ZREM', idx, sid) == 1 then index_expire(idx) end
end

-- Adds sid with the given expiry score, prunes expired members and applies the per-user cap.
-- Returns false when policy 'reject' refuses a new session, else the list of evicted ids.
local function index_add(idx, sid, score, now, max, policy)
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
  if max > 0 and policy == 'reject' and not redis.call('ZSCORE', idx, sid) and redis.call('ZCARD', idx) >= max then
    return false
  end
  redis.call('ZADD', idx, score, sid)
  local evicted = {}
  if max > 0 then
    local over = redis.call('ZCARD', idx) - max
    if over > 0 then
      for _, victim in ipairs(redis.call('ZRANGE', idx, 0, over)) do
        if #evicted >= over then break end
        if victim ~= sid then
          redis.call('ZREM', idx, victim)
          evicted[#evicted + 1] = victim
        end
      end
    end
  end
  index_expire(idx)
  return evicted
end
`;

/**
 * KEYS[1] session, KEYS[2] the new owner's index (absent for an anonymous session).
 * ARGV: data, ttl, absoluteTimeout, encoded uid or '', metaMode ('keep'|'set'|'clear'), meta,
 *       sessionPrefix, indexPrefix, maxPerUser, policy, revokedTtl, manageIndex ('1'|'0'), sid,
 *       createdAt of the record as last read, or '' (used only when the key is gone)
 * Returns {status, createdAt, expiresAt, previousUid, evicted...}; status is
 * 'ok' | 'expired' (ttl <= 0 or past the absolute timeout: deleted) | 'revoked' | 'limit'.
 */
export const SET = `${COMMON}
local key, idx = KEYS[1], KEYS[2]
local data, ttl, abs, uid = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local meta_mode, meta = ARGV[5], ARGV[6]
local sprefix, iprefix = ARGV[7], ARGV[8]
local max, policy, rttl = tonumber(ARGV[9]), ARGV[10], tonumber(ARGV[11])
local manage, sid = ARGV[12] == '1', ARGV[13]
local now = now_ms()
local created, prev_uid, prev_meta = now, false, false
local kind = redis.call('TYPE', key).ok
-- A record that expired while its request was in flight: the caller's createdAt keeps the
-- absolute timeout counting from the first write, so a late save cannot start a new lifetime.
if kind == 'none' and ARGV[14] ~= '' then created = math.min(tonumber(ARGV[14]), now) end
if kind == 'hash' then
  local f = redis.call('HMGET', key, 'r', 'c', 'u', 'm')
  if f[1] then return {'revoked'} end
  created = tonumber(f[2]) or now
  prev_uid, prev_meta = f[3], f[4]
end

local expires = now + ttl
if abs > 0 and created + abs < expires then expires = created + abs end
local prev_idx = prev_uid and prev_uid ~= uid and (iprefix .. '{' .. prev_uid .. '}')

if ttl <= 0 or expires <= now then
  redis.call('DEL', key)
  if manage and prev_uid then index_remove(iprefix .. '{' .. prev_uid .. '}', sid) end
  return {'expired', created, expires, prev_uid or ''}
end

local evicted = {}
if manage and idx then
  evicted = index_add(idx, sid, expires, now, max, policy)
  if not evicted then return {'limit', created, expires, prev_uid or ''} end
end
if manage and prev_idx then index_remove(prev_idx, sid) end

if kind ~= 'none' then redis.call('DEL', key) end
local fields = {'d', data, 'c', created, 'e', expires, 'l', now}
if uid ~= '' then fields[#fields + 1] = 'u'; fields[#fields + 1] = uid end
if abs > 0 then fields[#fields + 1] = 'a'; fields[#fields + 1] = created + abs end
if meta_mode == 'set' then fields[#fields + 1] = 'm'; fields[#fields + 1] = meta
elseif meta_mode == 'keep' and prev_meta then fields[#fields + 1] = 'm'; fields[#fields + 1] = prev_meta end
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIREAT', key, expires)

for _, victim in ipairs(evicted) do tombstone(sprefix .. victim, now, rttl) end
local reply = {'ok', created, expires, prev_uid or ''}
for _, victim in ipairs(evicted) do reply[#reply + 1] = victim end
return reply
`;

/**
 * KEYS[1] session. Returns
 *   {'h', now, d, u, c, e, l, m, a} for a session hash,
 *   {'s', now, value, pttl} for a plain string (written by connect-redis),
 *   {'x', now, type} for any other type, nil when absent or revoked.
 */
export const GET = `${COMMON}
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return nil end
local now = now_ms()
if kind == 'hash' then
  local f = redis.call('HMGET', KEYS[1], 'd', 'u', 'c', 'e', 'l', 'm', 'a', 'r')
  if f[8] then return nil end
  return {'h', now, f[1], f[2], f[3], f[4], f[5], f[6], f[7]}
end
if kind == 'string' then
  return {'s', now, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
end
return {'x', now, kind}
`;

/**
 * KEYS[1] session. ARGV: ttl, indexPrefix, manageIndex, sid.
 * Returns {'ok', expiresAt, uid or ''} | {'expired', 0, uid or ''} | {'missing'}.
 */
export const TOUCH = `${COMMON}
local key = KEYS[1]
local ttl, iprefix, manage, sid = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1', ARGV[4]
local kind = redis.call('TYPE', key).ok
local now = now_ms()
if kind == 'string' then
  if ttl <= 0 then redis.call('DEL', key) return {'expired', 0, ''} end
  redis.call('PEXPIRE', key, ttl)
  return {'ok', now + ttl, ''}
end
if kind ~= 'hash' then return {'missing'} end
local f = redis.call('HMGET', key, 'r', 'a', 'u', 'e')
if f[1] or not f[4] or tonumber(f[4]) <= now then return {'missing'} end
local uid = f[3] or ''
local expires = now + ttl
if f[2] and tonumber(f[2]) < expires then expires = tonumber(f[2]) end
if ttl <= 0 or expires <= now then
  redis.call('DEL', key)
  if manage and f[3] then index_remove(iprefix .. '{' .. f[3] .. '}', sid) end
  return {'expired', 0, uid}
end
redis.call('HSET', key, 'e', expires, 'l', now)
redis.call('PEXPIREAT', key, expires)
if manage and f[3] then index_add(iprefix .. '{' .. f[3] .. '}', sid, expires, now, 0, '') end
return {'ok', expires, uid}
`;

/**
 * KEYS[1] session. ARGV: revokedTtl, indexPrefix, manageIndex, sid.
 * Returns {removed (0|1), uid or ''}.
 */
export const DESTROY = `${COMMON}
local key = KEYS[1]
local rttl, iprefix, manage, sid = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1', ARGV[4]
local kind = redis.call('TYPE', key).ok
if kind == 'none' then return {0, ''} end
if kind ~= 'hash' then redis.call('DEL', key) return {1, ''} end
local f = redis.call('HMGET', key, 'u', 'r')
if f[2] then return {0, ''} end
tombstone(key, now_ms(), rttl)
if manage and f[1] then index_remove(iprefix .. '{' .. f[1] .. '}', sid) end
return {1, f[1] or ''}
`;

/**
 * Logout-everywhere, phase one (atomic): move the user's index aside into the draining key,
 * put the excepted sessions back, then (single node) revoke a first chunk.
 * KEYS[1] index, KEYS[2] draining. ARGV: uid, sessionPrefix, revokedTtl, chunk, except...
 * Returns {revoked, remaining}.
 */
export const REVOKE_ALL_START = `${COMMON}
local idx, drain = KEYS[1], KEYS[2]
local uid, sprefix, rttl, chunk = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('EXISTS', idx) == 1 then
  if redis.call('EXISTS', drain) == 1 then
    redis.call('ZUNIONSTORE', drain, 2, drain, idx, 'AGGREGATE', 'MAX')
    redis.call('DEL', idx)
  else
    redis.call('RENAME', idx, drain)
  end
end
for i = 5, #ARGV do
  local score = redis.call('ZSCORE', drain, ARGV[i])
  if score then
    redis.call('ZREM', drain, ARGV[i])
    redis.call('ZADD', idx, score, ARGV[i])
  end
end
index_expire(idx)
index_expire(drain)
local revoked = 0
if chunk > 0 then
  local now = now_ms()
  local popped = redis.call('ZPOPMIN', drain, chunk)
  for i = 1, #popped, 2 do revoked = revoked + revoke_one(sprefix .. popped[i], uid, now, rttl) end
end
return {revoked, redis.call('ZCARD', drain)}
`;

/** Single node, phase two: revoke the next chunk. KEYS[1] draining. ARGV: uid, sessionPrefix, revokedTtl, chunk. */
export const REVOKE_CHUNK = `${COMMON}
local uid, sprefix, rttl, chunk = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local revoked = 0
local popped = redis.call('ZPOPMIN', KEYS[1], chunk)
for i = 1, #popped, 2 do revoked = revoked + revoke_one(sprefix .. popped[i], uid, now, rttl) end
return {revoked, redis.call('ZCARD', KEYS[1])}
`;

/** Cluster: revoke one session key (the caller groups these by node). KEYS[1] session. ARGV: uid, revokedTtl. */
export const REVOKE_ONE = `${COMMON}
return revoke_one(KEYS[1], ARGV[1], now_ms(), tonumber(ARGV[2]))
`;

/**
 * Cluster: the index half of a write, run once the session exists. KEYS[1] index, optional
 * KEYS[2] pending (the place reserved by INDEX_RESERVE, released here). ARGV: sid, ttl,
 * maxPerUser, policy, and optionally the session's expiresAt (an absolute timeout can end it
 * before now + ttl). Returns {'ok', evicted...} or {'limit'}.
 */
export const INDEX_ADD = `${COMMON}
local now = now_ms()
local score = now + tonumber(ARGV[2])
if ARGV[5] and tonumber(ARGV[5]) and tonumber(ARGV[5]) < score then score = tonumber(ARGV[5]) end
local evicted = index_add(KEYS[1], ARGV[1], score, now, tonumber(ARGV[3]), ARGV[4])
if KEYS[2] then index_remove(KEYS[2], ARGV[1]) end
if not evicted then return {'limit'} end
local reply = {'ok'}
for _, victim in ipairs(evicted) do reply[#reply + 1] = victim end
return reply
`;

/**
 * Cluster, policy 'reject': reserves a place before the session is written, so that the cap
 * refuses before anything is stored. The place goes in a pending set beside the index (same
 * slot), not in the index itself: an index entry whose session does not exist yet would be
 * pruned as stale by a concurrent listUserSessions, and the session would then live on outside
 * its index. KEYS[1] index, KEYS[2] pending. ARGV: sid, ttl, maxPerUser. Returns 1, or 0 at the cap.
 */
export const INDEX_RESERVE = `${COMMON}
local idx, pending, sid = KEYS[1], KEYS[2], ARGV[1]
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
redis.call('ZREMRANGEBYSCORE', pending, '-inf', now)
if redis.call('ZSCORE', idx, sid) then return 1 end
if not redis.call('ZSCORE', pending, sid) and redis.call('ZCARD', idx) + redis.call('ZCARD', pending) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', pending, now + tonumber(ARGV[2]), sid)
index_expire(pending)
return 1
`;

/** KEYS[1] index. ARGV: sid... Removes members and re-derives the key's expiry. */
export const INDEX_REMOVE = `${COMMON}
for i = 1, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
index_expire(KEYS[1])
return 1
`;

/** KEYS[1] index. Prunes expired members; returns {sid, expiresAt, sid, expiresAt, ...}. */
export const INDEX_LIST = `${COMMON}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
`;

/** KEYS[1] index. Prunes expired members; returns how many remain. */
export const INDEX_COUNT = `${COMMON}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
return redis.call('ZCARD', KEYS[1])
`;

/** KEYS[1] session. 1 when it holds a live session (ours or a plain string), else 0. */
export const IS_LIVE = `${COMMON}
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'string' then return 1 end
if kind ~= 'hash' then return 0 end
local f = redis.call('HMGET', KEYS[1], 'r', 'e')
if f[1] or not f[2] or tonumber(f[2]) <= now_ms() then return 0 end
return 1
`;
