-- reserve: one send, every rule, one call. Computes the earliest time each
-- rule allows the send, takes the latest (at); beyond the caller's bound it
-- writes nothing, else it records the send at `at` in every rule.
--
-- KEYS[1] rate    hash a, n, i: GCRA theoretical arrival time = a + n*i;
--                 g and the learned rate (prelude.lua)
-- KEYS[2] pair    string: the pair's theoretical arrival time
-- KEYS[3] budget  zset recipient -> time of its first template send in the window
-- ARGV[1] clock ('' = Redis TIME)
-- ARGV[2..9] the learning config (learningConfig): rate/s (<= 0: rule
--         off), burst, recovery µs (<= 0: no learning), backoff, floor,
--         margin, measure µs, hold-off µs
-- ARGV[10] pair interval µs (<= 0: rule off)
-- ARGV[11] budget (<= 0: rule off)  ARGV[12] budget window µs
-- ARGV[13] recipient                ARGV[14] max wait µs
-- Returns {ok 0|1, wait µs, reason}.
local now = clock(ARGV[1])
local L = learningConfig(2)
local rate, burst = L.rate, L.burst
local pair, budget, window = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local who, maxwait = ARGV[13], tonumber(ARGV[14])

local at, reason = now, ''

-- Rate: GCRA with burst tolerance (burst-1)*T. The TAT is kept as an anchor
-- plus n intervals, so a steady stream is an exact arithmetic sequence
-- (adding T to a float TAT would round at every step). A new interval (the
-- learned rate moved) re-anchors at the old TAT. A measurement that has
-- run its course is decided first (written only if the send is reserved).
local st, a, n, T, tat, decided
if rate > 0 then
  st = readState(KEYS[1])
  decided = due(st, now, L)
  a, n = st.a, st.n
  local i = st.i
  T = 1000000 / (rate * factorOf(st, now, L))
  if a == nil or n == nil or i == nil then
    a, n, i = now, 0, T
  end
  if i ~= T then a, n = a + n * i, 0 end
  tat = a + n * T
  local e = tat - (burst - 1) * T
  if e > at then at, reason = e, 'rate' end
end

-- Pair: GCRA with burst 1, so the TAT itself.
if pair > 0 then
  local e = tonumber(redis.call('GET', KEYS[2]))
  if e ~= nil and e > at then at, reason = e, 'pair' end
end

-- Budget: a rolling window. A recipient already in it costs nothing; a new
-- one while `budget` are in it waits until enough of them age out. Members
-- at or before now-window are out (pruned only when writing); they have
-- the lowest scores, so the member whose leaving frees a place is at index
-- ZCARD-budget.
local counted = true
if budget > 0 then
  local s = tonumber(redis.call('ZSCORE', KEYS[3], who))
  if s == nil or s <= now - window then
    counted = false
    local c = redis.call('ZCOUNT', KEYS[3], '(' .. num(now - window), '+inf')
    if c >= budget then
      local k = string.format('%d', redis.call('ZCARD', KEYS[3]) - budget)
      local e = tonumber(redis.call('ZRANGE', KEYS[3], k, k, 'WITHSCORES')[2]) + window
      if e > at then at, reason = e, 'budget' end
    end
  end
end

local wait = at - now
-- A wait set by the pair or the budget is this recipient's, not the
-- account's: reserving it would move the account's rate clock and hold up
-- every other recipient. Nothing is reserved; the caller defers.
if wait > maxwait or (wait > 0 and reason ~= 'rate') then return {0, num(wait), reason} end

if rate > 0 then
  if tat < at then a, n = at, 0 end -- idle: the stream starts again at this send
  n = n + 1
  redis.call('HSET', KEYS[1], 'a', num(a), 'n', num(n), 'i', num(T), 'g', num((st.g or 0) + 1))
  if decided then writeLearning(KEYS[1], st) end
  local expiry = a + n * T
  local learned = learnedUntil(st, now, L)
  if learned > expiry then expiry = learned end -- keep what was learned until the rate is full again
  expireAt(KEYS[1], now, expiry)
end
if pair > 0 then
  redis.call('SET', KEYS[2], num(at + pair))
  expireAt(KEYS[2], now, at + pair)
end
if not counted then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', num(now - window))
  redis.call('ZADD', KEYS[3], num(at), who)
  local last = tonumber(redis.call('ZRANGE', KEYS[3], '-1', '-1', 'WITHSCORES')[2])
  expireAt(KEYS[3], now, last + window)
end
return {1, num(wait), reason}
