-- bench/lua/floor-save.lua with the expiry taken from Redis's clock (TIME, then SET ... PXAT),
-- as SessionKit's guarantee "Redis's clock for expiry" asks: the floor for a save that keeps it.
--
-- KEYS and ARGV as floor-save.lua's (ARGV[3] unused).

local head = redis.call('GETRANGE', KEYS[1], '0', '63')
if string.byte(head, 1) == 33 then return 0 end
local version = tonumber(string.match(head, '^|%d+|%d*|(%d+)|', 29)) or 0
if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= version then return -1 end
local time = redis.call('TIME')
local expires = string.format('%d', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[2]))
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', expires)
redis.call('ZADD', KEYS[2], expires, ARGV[5])
redis.call('PEXPIREAT', KEYS[2], expires, 'GT')
return 1
