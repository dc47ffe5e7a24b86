-- The record layout's constants (includes/record.lua explains the layout). Constants only, no
-- functions: the hot scripts (a save, a touch) read the header inline with HEADER, because every
-- function a script defines is a closure Redis builds again on every call.

-- A revoked session is this string plus the time of revocation, living revokedTtl ms, so that a
-- request that loaded the session before it was revoked cannot write it back. No JSON text (what
-- connect-redis stores) and no record (which starts with '~') can start with '!'.
local TOMBSTONE = '!sessionkit-revoked:'
local RECORD_MAGIC = '~1'
-- A read of the header fetches this many bytes first; a longer header (a very long user id or
-- meta) is read whole. Sessions are short: most headers and metas fit.
local HEAD_BYTES = 256
-- The last byte of that read, as text: a Lua number passed to redis.call is printed with sprintf's
-- %.17g on every call (Redis 7.0), which costs more than passing text.
local HEAD_LAST = '255'
-- A record's header, matched from the value's first byte in one string.match: the magic, then E
-- and L (13 characters each, checked with tonumber by the caller, as record-format.ts's
-- parseHeader does), then |created|absolute|version|uid|metaLength|. Captures, in order: E, L,
-- created, absolute, version, uid, metaLength, and where meta starts. No match: not a record of
-- this version (a connect-redis string, a tombstone, another format, a header cut short).
local HEADER = '^~1(.............)(.............)|(%d+)|(%d*)|(%d+)|([^|]*)|(%d+)|()'
