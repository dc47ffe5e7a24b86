/**
 * Lua scripts. Every script reads the clock from Redis (TIME) so that app servers with skewed
 * clocks agree on expiry. Session records are hashes:
 *   d data · u encoded user id · c createdAt · e expiresAt · l lastSeenAt · a absolute expiry · m meta
 * A revoked session is replaced by a tombstone, the string TOMBSTONE_PREFIX .. revokedAt, that
 * lives `revokedTtl` ms, so a request that loaded the session before it was revoked cannot write
 * it back. A string because one SET ... PX writes it whatever the key held (logout-everywhere
 * writes thousands), and because the hot paths read records with HMGET, which a string refuses
 * (WRONGTYPE): the rare non-hash cases take the slow branch, the common ones pay nothing.
 *
 * Cost matters here: inside a script every redis.call costs a microsecond or two of Redis's single
 * thread on top of the command itself, so the hot paths (set, touch) make as few calls as they
 * can; `get` of a record is a plain HMGET from the client, with no script at all.
 *
 * On a single node, set, touch and destroy also maintain the user's index in the same call; on
 * Redis Cluster the index lives in another slot, so the store runs the session part and the index
 * part separately.
 */

/** No JSON text (what connect-redis stores) can start with '!'. */
export const TOMBSTONE_PREFIX = '!sessionkit-revoked:';

const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local TOMBSTONE = '${TOMBSTONE_PREFIX}'

local function tombstone(key, now, ttl)
  if ttl > 0 then
    redis.call('SET', key, TOMBSTONE .. now, 'PX', ttl)
  else
    redis.call('DEL', key)
  end
end

local function is_tombstone(value)
  return type(value) == 'string' and string.sub(value, 1, #TOMBSTONE) == TOMBSTONE
end

-- HMGET that answers false instead of failing when the key is not a hash.
local function hash_fields(key, ...)
  local f = redis.pcall('HMGET', key, ...)
  if f.err then return false end
  return f
end

-- Revokes one session if it is a live record still owned by uid; never touches another user's.
local function revoke_one(key, uid, now, ttl)
  local owner = redis.pcall('HGET', key, 'u')
  if type(owner) ~= 'string' or owner ~= uid then return 0 end
  tombstone(key, now, ttl)
  return 1
end

-- The index key lives exactly as long as its longest-lived member.
local function index_expire(idx)
  local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
end

-- The index must outlive a member whose expiry just moved to score. GT (Redis >= 7) does that in
-- one O(1) call; older servers refuse the option, and the full recomputation runs instead. GT
-- never shortens: when a member's expiry moves down (the absolute timeout), the index may outlive
-- its members until the next add, remove or prune recomputes it; harmless, and bounded by the
-- longest expiry it ever held.
local function index_extend(idx, score)
  local r = redis.pcall('PEXPIREAT', idx, score, 'GT')
  if type(r) == 'table' and r.err then index_expire(idx) end
end

local function index_remove(idx, sid)
  if redis.call('ZREM', idx, sid) == 1 then index_expire(idx) end
end

-- Adds sid (or moves its score) and, for a new member, prunes expired members and applies the
-- per-user cap. An existing member only slides: its session was counted when it joined, so the
-- cap and the pruning wait for the next new one (a sign-in), which keeps every refresh cheap.
-- Returns false when policy 'reject' refuses a new session, else the list of evicted ids.
local function index_add(idx, sid, score, now, max, policy)
  if max > 0 and policy == 'reject' and not redis.call('ZSCORE', idx, sid) then
    redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
    if redis.call('ZCARD', idx) >= max then return false end
  end
  if redis.call('ZADD', idx, score, sid) == 0 then
    index_extend(idx, score)
    return {}
  end
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
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
 * Returns {status, createdAt, expiresAt, previousUid, now, evicted...} ({'revoked'} alone); status
 * is 'ok' | 'expired' (ttl <= 0 or past the absolute timeout: deleted) | 'revoked' | 'limit', and
 * now is Redis's clock (the store keeps its offset from the app's clock, see redisTime).
 */
export const SET = `${COMMON}
local key, idx = KEYS[1], KEYS[2]
local data, ttl, abs, uid = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local meta_mode, meta = ARGV[5], ARGV[6]
local sprefix, iprefix = ARGV[7], ARGV[8]
local max, policy, rttl = tonumber(ARGV[9]), ARGV[10], tonumber(ARGV[11])
local manage, sid = ARGV[12] == '1', ARGV[13]
local now = now_ms()
local created, prev_uid = now, false
-- 'record': one of ours, updated in place; 'other': anything else at the key, replaced whole.
local kind = 'other'
local f = hash_fields(key, 'c', 'u', 'm', 'a')
if not f then
  if is_tombstone(redis.pcall('GET', key)) then return {'revoked'} end
elseif f[1] then
  kind = 'record'
  created = tonumber(f[1]) or now
  prev_uid = f[2]
elseif ARGV[14] ~= '' then
  -- Gone, perhaps expired while its request was in flight: the caller's createdAt keeps the
  -- absolute timeout counting from the first write, so a late save cannot start a new lifetime.
  created = math.min(tonumber(ARGV[14]), now)
end

local expires = now + ttl
if abs > 0 and created + abs < expires then expires = created + abs end
local prev_idx = prev_uid and prev_uid ~= uid and (iprefix .. '{' .. prev_uid .. '}')

if ttl <= 0 or expires <= now then
  redis.call('DEL', key)
  if manage and prev_uid then index_remove(iprefix .. '{' .. prev_uid .. '}', sid) end
  return {'expired', created, expires, prev_uid or '', now}
end

local evicted = {}
if manage and idx then
  evicted = index_add(idx, sid, expires, now, max, policy)
  if not evicted then return {'limit', created, expires, prev_uid or '', now} end
end
if manage and prev_idx then index_remove(prev_idx, sid) end

local fields = {'d', data, 'c', created, 'e', expires, 'l', now}
if uid ~= '' then fields[#fields + 1] = 'u'; fields[#fields + 1] = uid end
if abs > 0 then fields[#fields + 1] = 'a'; fields[#fields + 1] = created + abs end
if meta_mode == 'set' then fields[#fields + 1] = 'm'; fields[#fields + 1] = meta end
if kind == 'record' then
  -- In place: only the optional fields this write drops need removing.
  local gone = {}
  if uid == '' and f[2] then gone[#gone + 1] = 'u' end
  if meta_mode == 'clear' and f[3] then gone[#gone + 1] = 'm' end
  if abs == 0 and f[4] then gone[#gone + 1] = 'a' end
  if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
elseif not f or redis.call('EXISTS', key) == 1 then
  -- A string connect-redis wrote, or a foreign value: start from nothing. Not for a new id: Redis
  -- checks maxmemory only before a script's first write, and a needless DEL would be that write.
  redis.call('DEL', key)
end
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIREAT', key, expires)

for _, victim in ipairs(evicted) do tombstone(sprefix .. victim, now, rttl) end
local reply = {'ok', created, expires, prev_uid or '', now}
for _, victim in ipairs(evicted) do reply[#reply + 1] = victim end
return reply
`;

/**
 * The slow read, for a key the client's HMGET found not to be a hash. KEYS[1] session. Returns
 *   {'h', now, d, u, c, e, l, m, a} for a session record (the key changed in between),
 *   {'s', now, value, pttl} for a plain string (written by connect-redis),
 *   {'x', now, type} for any other type, nil when absent or revoked.
 */
export const GET = `${COMMON}
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return nil end
local now = now_ms()
if kind == 'hash' then
  local f = redis.call('HMGET', KEYS[1], 'd', 'u', 'c', 'e', 'l', 'm', 'a')
  return {'h', now, f[1], f[2], f[3], f[4], f[5], f[6], f[7]}
end
if kind == 'string' then
  local value = redis.call('GET', KEYS[1])
  if is_tombstone(value) then return nil end
  return {'s', now, value, redis.call('PTTL', KEYS[1])}
end
return {'x', now, kind}
`;

/**
 * KEYS[1] session. ARGV: ttl, indexPrefix, manageIndex, sid.
 * Returns {'ok', expiresAt, uid or '', now} | {'expired', 0, uid or ''} | {'missing'}.
 */
export const TOUCH = `${COMMON}
local key = KEYS[1]
local ttl, iprefix, manage, sid = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1', ARGV[4]
local now = now_ms()
local f = hash_fields(key, 'e', 'a', 'u')
if not f then
  -- A string: a session connect-redis wrote keeps sliding as connect-redis would slide it.
  local value = redis.pcall('GET', key)
  if type(value) ~= 'string' or is_tombstone(value) then return {'missing'} end
  if ttl <= 0 then redis.call('DEL', key) return {'expired', 0, ''} end
  redis.call('PEXPIRE', key, ttl)
  return {'ok', now + ttl, '', now}
end
if not f[1] or tonumber(f[1]) <= now then return {'missing'} end
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
return {'ok', expires, uid, now}
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
if kind == 'string' and is_tombstone(redis.call('GET', key)) then return {0, ''} end
if kind ~= 'hash' then redis.call('DEL', key) return {1, ''} end
local uid = redis.call('HGET', key, 'u')
tombstone(key, now_ms(), rttl)
if manage and uid then index_remove(iprefix .. '{' .. uid .. '}', sid) end
return {1, uid or ''}
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
if kind == 'string' then return is_tombstone(redis.call('GET', KEYS[1])) and 0 or 1 end
if kind ~= 'hash' then return 0 end
local e = redis.call('HGET', KEYS[1], 'e')
if not e or tonumber(e) <= now_ms() then return 0 end
return 1
`;
