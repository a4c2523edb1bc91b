-- throttle: the provider said "too many requests". The factor compounds
-- down to a floor and starts recovering from now.
-- KEYS[1] rate hash (fields f, s)
-- ARGV[1] clock ('' = Redis TIME)  ARGV[2] backoff  ARGV[3] floor
-- ARGV[4] recovery µs (> 0)  ARGV[5] hold-off µs: a back-off within this of
-- the last one is the same burst of answers to sends already in flight
-- and changes nothing
-- Returns the new factor.
local now = clock(ARGV[1])
local recovery = tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'f', 's')
local cur = factorAt(tonumber(v[1]), tonumber(v[2]), now, recovery)
if v[2] and now - tonumber(v[2]) < tonumber(ARGV[5]) then return num(cur) end
local f = cur * tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
if f < floor then f = floor end
if f > cur then f = cur end
redis.call('HSET', KEYS[1], 'f', num(f), 's', num(now))
-- The hash may hold GCRA state that needs longer.
if redis.call('PTTL', KEYS[1]) < recovery / 1000 then
  redis.call('PEXPIRE', KEYS[1], ms(recovery))
end
return num(f)
