-- The session record: one string, compact at Redis's default settings (a hash whose data field is
-- over hash-max-listpack-value, 64 bytes, costs about twice as much). packages/core/src/record-format.ts
-- reads and writes the same layout; keep the two in step.
--
--   ~1 EEEEEEEEEEEEE LLLLLLLLLLLLL |created|absolute|version|uid|metaLength| meta data
--
-- '~1' is the format version. E (expiresAt) and L (lastSeenAt) are 13-digit, zero-padded ms at
-- fixed offsets, so a touch patches them in place with one SETRANGE. absolute is empty when no
-- absolute timeout applies, uid is empty for an anonymous session (and never holds '|': user ids
-- are percent-encoded), version counts saves (a save that carries the version it loaded fails on
-- a mismatch and merges, see the store). meta (JSON, metaLength bytes) and data follow directly.

-- @include includes/layout

local function pad13(n)
  return string.format('%013d', n)
end

-- The parsed header, or nil when `s` is not a record of this version (a connect-redis JSON
-- string, a tombstone, a record of a format this release does not know, or a header cut short
-- or damaged: times that are not numbers, as record-format.ts's parseHeader decides too).
local function parse_header(s)
  local e, l, c, a, v, u, ml, meta_at = string.match(s, HEADER)
  if not c then return nil end
  e, l = tonumber(e), tonumber(l)
  if not e or not l then return nil end
  return {
    e = e,
    l = l,
    c = tonumber(c),
    a = tonumber(a),
    v = tonumber(v),
    u = u,
    meta_at = meta_at,
    meta_len = tonumber(ml),
  }
end

-- The owner field of a record of this version (checked by the caller), or nil when the header is
-- cut short: one capture, where parse_header builds the whole table.
local function record_owner(s)
  return string.match(s, '^|%d+|%d*|%d+|([^|]*)|', 29)
end

-- The start of the value at key: its header (when it is a record) and the text read.
-- Returns false for a key that is not a string (a foreign value), '' for a missing key.
local function read_head(key)
  local head = unless_wrongtype(redis.pcall('GETRANGE', key, '0', HEAD_LAST))
  if not head then return false end
  local rec = parse_header(head)
  if not rec and #head == HEAD_BYTES and string.sub(head, 1, 2) == RECORD_MAGIC then
    head = redis.call('GET', key)
    rec = parse_header(head)
  end
  return head, rec
end

-- The stored meta of a record whose head was read by read_head.
local function stored_meta(key, head, rec)
  if rec.meta_len == 0 then return '' end
  local last = rec.meta_at + rec.meta_len - 1
  if last <= #head then return string.sub(head, rec.meta_at, last) end
  return redis.call('GETRANGE', key, rec.meta_at - 1, last - 1)
end

local function build_record(expires, now, created, absolute, version, uid, meta, data)
  return RECORD_MAGIC .. pad13(expires) .. pad13(now) .. '|' .. created .. '|' .. (absolute or '') .. '|'
    .. version .. '|' .. uid .. '|' .. #meta .. '|' .. meta .. data
end
