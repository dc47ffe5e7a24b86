-- luacheck settings for the Redis scripts in packages/core/src/lua (`npm run lint` runs it).
-- Redis runs scripts on Lua 5.1 with the libraries below loaded and KEYS/ARGV set, and refuses
-- a script that creates a global: every name a script uses must be local or listed here.
std = 'lua51'
-- Not loaded inside Redis: a script that reaches for them fails only when it runs.
not_globals = { 'io', 'os', 'require', 'dofile', 'loadfile', 'module', 'package', 'debug' }
max_line_length = 160
allow_defined = false
allow_defined_top = false

read_globals = {
  'KEYS',
  'ARGV',
  -- The fields are listed so that a misspelt redis.cal or redis.pcal is an error.
  redis = {
    fields = {
      'call', 'pcall', 'error_reply', 'status_reply', 'sha1hex', 'log', 'setresp', 'set_repl',
      'replicate_commands', 'breakpoint', 'debug', 'acl_check_cmd', 'register_function',
      'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING',
      'REPL_ALL', 'REPL_AOF', 'REPL_REPLICA', 'REPL_SLAVE', 'REPL_NONE',
      'REDIS_VERSION', 'REDIS_VERSION_NUM',
    },
  },
  -- Fields differ between Redis versions (cjson.array_mt, ...): any field is accepted.
  cjson = { other_fields = true },
  cmsgpack = { other_fields = true },
  bit = { other_fields = true },
  struct = { other_fields = true },
}
