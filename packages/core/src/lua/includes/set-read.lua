-- A save's first step, shared by set-indexed.lua and set-session.lua: reads ARGV[1] to ARGV[9]
-- (see those scripts' headers) and what is stored, and answers {'revoked'} or {'conflict', ...}.
-- The save's steps (this, set-times, set-write) are straight-line code with no helper function
-- and no table: a function is a closure Redis builds again on every call, and a table is garbage
-- for its collector; measured with `npm run bench:script-cost`, they were a third of a save's cost.
-- Leaves for the next steps: key, record_arg, data_at, ttl, abs, uid, meta_arg, meta (nil), created_arg,
-- head, known (true when the stored header is the one the caller expected: then the caller's
-- record is written as it is), rec (true for a record of this version), stored_created,
-- stored_meta_len, meta_at, stored_version, stored_owner.

-- @include includes/layout

local key = KEYS[1]
-- Arguments stay text until a number is needed: tonumber is a strtod, and the common save needs
-- few (abs is compared as text, '0' when off).
-- As few arguments as can be: Redis makes a Lua string of each on every call.
local record_arg, ttl, abs, uid = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local meta_arg, expect, created_arg, data_at, expected = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local meta

-- head: the first HEAD_BYTES of the value, '' for a missing key, false for a key that is not a
-- string (a foreign value, which the save replaces). Any other error (an ACL refusal, OOM) is raised.
local head = redis.pcall('GETRANGE', key, '0', HEAD_LAST)
if type(head) == 'table' then
  if string.sub(head.err, 1, 9) ~= 'WRONGTYPE' then error(head) end
  head = false
end
local _, stored_e, stored_l, stored_created, stored_version, stored_owner, stored_meta_len, meta_at
-- The caller's expectation, when it gave one (ARGV[9]: it loaded the session and its owner stays):
-- the stored header from createdAt to the owner (and the meta's length, 0, when meta is kept).
-- Compared as bytes where the header's fields start (string.find with plain matching builds no
-- string), so that the common save neither parses the header nor builds the record.
local known = expected ~= '' and head and string.find(head, expected, 29, true) == 29 and string.sub(head, 1, 2) == RECORD_MAGIC
local rec = known
if known then
  -- (The meta's length is only read when meta is kept, and then the expectation included it. The
  -- version stays text: only the reply of a save that is not written reads it.)
  stored_created, stored_version, stored_owner, stored_meta_len = created_arg, expect, uid, '0'
else
  if head then
    -- '!' (33) first: a tombstone or nothing of ours; a record starts with '~'.
    if string.byte(head, 1) == 33 and string.sub(head, 1, #TOMBSTONE) == TOMBSTONE then return {'revoked'} end
    stored_e, stored_l, stored_created, _, stored_version, stored_owner, stored_meta_len, meta_at = string.match(head, HEADER)
    if not stored_e and #head == HEAD_BYTES and string.sub(head, 1, 2) == RECORD_MAGIC then
      -- A header longer than HEAD_BYTES (a very long user id): read the value whole.
      head = redis.call('GET', key)
      stored_e, stored_l, stored_created, _, stored_version, stored_owner, stored_meta_len, meta_at = string.match(head, HEADER)
    end
    -- A record whose times are not numbers is damaged: not a record (as record-format.ts decides).
    rec = stored_e ~= nil and tonumber(stored_e) ~= nil and tonumber(stored_l) ~= nil
  end
  if rec then
    stored_version = tonumber(stored_version)
  else
    stored_version, stored_owner = 0, ''
  end
  if expect ~= '' and head ~= '' and tonumber(expect) ~= stored_version then
    -- The stored value, for the caller to merge onto: a record, or a connect-redis string (version
    -- 0) during a rolling deploy. A head shorter than HEAD_BYTES is the whole value already. '' for
    -- a key that is not a string (nothing to merge with).
    local value = ''
    if head then value = #head ~= HEAD_BYTES and head or redis.call('GET', key) end
    return {'conflict', stored_version, value}
  end
end
