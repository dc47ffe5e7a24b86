-- A touch's last step (after includes/touch-read): deletes the session and answers
-- {'expired', 0, owner} when it is gone, else patches the record's times in place and moves its
-- expiry (the script answers then).

if gone then
  redis.call('DEL', key)
  return {'expired', 0, owner}
end
redis.call('SETRANGE', key, '2', stamp)
redis.call('PEXPIREAT', key, expires_text)
