-- A save's last step (after includes/set-times): deletes the session and answers {'expired', ...}
-- when it is gone, else writes the record. Leaves: version (the one written).

if gone then
  redis.call('DEL', key)
  return {'expired', created, expires, stored_owner, now, stored_version}
end
if meta_mode == 'keep' then
  meta = rec and stored_meta(key, head, rec) or ''
elseif meta_mode == 'clear' then
  meta = ''
end
local version = stored_version + 1
-- SET replaces whatever the key held (a connect-redis string, a foreign value) and sets the
-- expiry in the same command.
redis.call('SET', key, build_record(expires, now, created, absolute, version, uid, meta, data), 'PXAT', expires)
