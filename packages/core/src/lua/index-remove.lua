-- Removes members from an index and re-derives the key's expiry.
--
-- KEYS[1] the index   ARGV[1...] session ids
-- Reply: 1

-- @include includes/index

for i = 1, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
index_expire(KEYS[1])
return 1
