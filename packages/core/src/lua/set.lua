-- Writes a session record and (single node) keeps its owner's index in step, in one call.
--
-- KEYS[1]  the session
-- KEYS[2]  single node, signed-in session: the owner's index
-- KEYS[#]  single node, when the believed stored owner (ARGV[5]) differs from the new one: its index
-- ARGV[1]  data (serialized)          ARGV[2]  ttl ms (<= 0 deletes)
-- ARGV[3]  absoluteTimeout ms (0 off) ARGV[4]  new owner, encoded, or ''
-- ARGV[5]  the owner the caller believes is stored, or ''
-- ARGV[6]  meta mode: 'keep' | 'set' | 'clear'    ARGV[7] meta (JSON) for 'set'
-- ARGV[8]  the version the caller loaded ('' writes whatever is stored; '0': loaded nothing)
-- ARGV[9]  the createdAt the caller last read, or '' (only used when the record is gone)
-- ARGV[10] maxSessionsPerUser   ARGV[11] policy 'reject' | 'evict'   ARGV[12] revokedTtl ms
-- ARGV[13] session key prefix (for evicted sessions)   ARGV[14] session id
-- ARGV[15] '1' when this call maintains the index (single node), '0' (cluster: the store does)
--
-- Reply: {status, createdAt, expiresAt, storedOwner, now, version, evicted...} with status
--   'ok' | 'expired' (ttl <= 0 or past the absolute timeout: deleted) | 'limit' (policy 'reject');
-- or {'revoked'}; or {'owner', storedOwner} (single node: the stored owner is neither the new one
-- nor ARGV[5], so its index was not named; nothing was written, call again naming it); or {'conflict', version,
-- value} (the stored version is not ARGV[8]: another save landed, or a connect-redis string, version 0,
-- is stored; value is what is stored, '' when the key is not a string; nothing was written).

-- @include includes/common
-- @include includes/record
-- @include includes/index

local key = KEYS[1]
local data, ttl, abs, uid = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local believed, meta_mode, meta = ARGV[5], ARGV[6], ARGV[7]
local expect, created_arg = ARGV[8], ARGV[9]
local max, policy, rttl = tonumber(ARGV[10]), ARGV[11], tonumber(ARGV[12])
local sprefix, sid, with_index = ARGV[13], ARGV[14], ARGV[15] == '1'

local head, rec = read_head(key)
if head and is_tombstone(head) then return {'revoked'} end
local stored_version = rec and rec.v or 0
if expect ~= '' and head ~= '' and tonumber(expect) ~= stored_version then
  -- The stored value, for the caller to merge onto: a record, or a connect-redis string (version
  -- 0) during a rolling deploy. A head shorter than HEAD_BYTES is the whole value already. '' for
  -- a key that is not a string (nothing to merge with).
  local value = ''
  if head then value = #head ~= HEAD_BYTES and head or redis.call('GET', key) end
  return {'conflict', stored_version, value}
end
local stored_owner = rec and rec.u or ''
-- The stored owner's index must be named in KEYS: it is when it is the new owner's or the believed one.
if with_index and stored_owner ~= '' and stored_owner ~= uid and stored_owner ~= believed then
  return {'owner', stored_owner}
end

local idx = with_index and uid ~= '' and KEYS[2] or nil
local prev_idx = with_index and stored_owner ~= '' and stored_owner ~= uid and KEYS[#KEYS] or nil
local now = now_ms()
local created = now
if rec then
  created = rec.c
elseif head == '' and created_arg ~= '' then
  -- Gone, perhaps expired while its request was in flight: the caller's createdAt keeps the
  -- absolute timeout counting from the first write, so a late save cannot start a new lifetime.
  created = math.min(tonumber(created_arg), now)
end
local expires = now + ttl
local absolute = abs > 0 and created + abs or nil
if absolute and absolute < expires then expires = absolute end

if ttl <= 0 or expires <= now then
  redis.call('DEL', key)
  if with_index and stored_owner ~= '' then index_remove(stored_owner == uid and KEYS[2] or KEYS[#KEYS], sid) end
  return {'expired', created, expires, stored_owner, now, stored_version}
end

local evicted = {}
if idx then
  evicted = index_add(idx, sid, expires, now, max, policy)
  if not evicted then return {'limit', created, expires, stored_owner, now, stored_version} end
end
if prev_idx then index_remove(prev_idx, sid) end

if meta_mode == 'keep' then
  meta = rec and stored_meta(key, head, rec) or ''
elseif meta_mode == 'clear' then
  meta = ''
end
local version = stored_version + 1
-- SET replaces whatever the key held (a connect-redis string, a foreign value) and sets the
-- expiry in the same command.
redis.call('SET', key, build_record(expires, now, created, absolute, version, uid, meta, data), 'PXAT', expires)

for _, victim in ipairs(evicted) do tombstone(sprefix .. victim, now, rttl) end
local reply = {'ok', created, expires, stored_owner, now, version}
for _, victim in ipairs(evicted) do reply[#reply + 1] = victim end
return reply
