-- A touch's last step (after includes/touch-read): deletes the session when it is gone, else
-- patches the record's times in place and moves its expiry. Answers the script's reply.

if gone then
  redis.call('DEL', key)
  return {'expired', 0, owner}
end
redis.call('SETRANGE', key, 2, pad13(expires) .. pad13(now))
redis.call('PEXPIREAT', key, expires)
return {'ok', expires, owner, now}
