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
local v = redis.call('HMGET', KEYS[1], 'f', 's', 'a', 'n', 'i')
local cur = factorAt(tonumber(v[1]), tonumber(v[2]), now, recovery)
if v[2] and now - tonumber(v[2]) < tonumber(ARGV[5]) then return num(cur) end
local f = cur * tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
if f < floor then f = floor end
if f > cur then f = cur end
redis.call('HSET', KEYS[1], 'f', num(f), 's', num(now))
-- The hash lives until the back-off has recovered, or longer if its GCRA
-- state (theoretical arrival time a + n*i, reserve.lua) needs it.
local expiry = now + recovery
local a, n, i = tonumber(v[3]), tonumber(v[4]), tonumber(v[5])
if a ~= nil and n ~= nil and i ~= nil and a + n * i > expiry then expiry = a + n * i end
expireAt(KEYS[1], now, expiry)
return num(f)
