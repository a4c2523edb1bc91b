-- factor: the account's effective-rate factor now, for status and metrics.
-- KEYS[1] rate hash (fields f, s)   ARGV[1] clock ('' = Redis TIME)   ARGV[2] recovery µs
local v = redis.call('HMGET', KEYS[1], 'f', 's')
return num(factorAt(tonumber(v[1]), tonumber(v[2]), clock(ARGV[1]), tonumber(ARGV[2])))
