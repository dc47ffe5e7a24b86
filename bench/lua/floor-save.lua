-- The floor for a save (bench/script-cost.ts): the least a guarded save of a signed-in session
-- must make Redis do, with no more Lua than that. Not SessionKit's save: it trusts its caller for
-- what the real one works out (the record and its expiry come built from the app, the expiry on
-- the app's clock), keeps no absolute timeout, meta, cap or owner change, and answers 1 or 0.
--
-- KEYS[1]  the session      KEYS[2]  the owner's index
-- ARGV[1]  the record, built   ARGV[2]  ttl ms   ARGV[3]  its expiry (ms, the index score)
-- ARGV[4]  the version the caller loaded, or ''   ARGV[5]  session id
--
-- Reads the first bytes of the stored value to refuse a tombstone and to read the version, SETs
-- the new record with its expiry, ZADDs the owner's index entry and PEXPIREAT ... GT the index.
-- Every argument goes to Redis as text (a Lua number is printed with %.17g on each call).

local head = redis.call('GETRANGE', KEYS[1], '0', '63')
if string.byte(head, 1) == 33 then return 0 end
local version = tonumber(string.match(head, '^|%d+|%d*|(%d+)|', 29)) or 0
if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= version then return -1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
redis.call('PEXPIREAT', KEYS[2], ARGV[3], 'GT')
return 1
