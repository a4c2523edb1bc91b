-- Shared by every script of Shared (concatenated in front of each).
-- Times are microseconds since the Unix epoch (exact in a Lua number until
-- the year 2255); intervals are microseconds too, possibly fractional.

-- Writes after TIME need effects replication (the default since Redis 5).
if redis.replicate_commands then redis.replicate_commands() end

-- now: Redis TIME, so every pod reads one clock. Tests may pass a clock
-- in the argument; production passes ''.
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- num formats a number for Redis without losing a bit (tostring keeps
-- only 14 significant digits).
local function num(x) return string.format('%.17g', x) end

-- expireAt has key expire at time t (µs), rounded up to a whole
-- millisecond and at least one millisecond after now.
--
-- The expiry is an instant on the script's clock (PEXPIREAT), never a
-- duration (PEXPIRE): on Redis TIME the two are the same, but under a
-- caller's clock (tests, which stand still between calls) a duration
-- would be counted down on Redis's own clock, and a key due to live 12 ms
-- of test time could vanish between two calls the test makes at the same
-- instant. As an instant, it lives until Redis's clock reaches the test's.
local function expireAt(key, now, t)
  local at = math.ceil(t / 1000)
  local soonest = math.floor(now / 1000) + 1
  if at < soonest then at = soonest end
  redis.call('PEXPIREAT', key, string.format('%d', at))
end

-- The learned rate (doc.go, "Learned limits"; learn.go is the same
-- arithmetic for Local). The account's rate hash keeps, besides the GCRA
-- state a, n, i:
--   g           reservations ever granted (to count the sends gone out)
--   f, s, m     the last decision: the factor it set, when, and the
--               provider's rate it measured (factors of the rate)
--   e, z, q, c, l  an open measurement: since e, the rate frozen at
--               factor z, q 429s counted (the last at l), c sends had gone
--               out at e
-- L (below) is the learning config: {rate, burst, recovery µs, backoff,
-- floor, margin, measure µs, holdoff µs}.
local SLOWDOWN = 10 -- ratelimit.ProbeSlowdown
local SMOOTHING = 0.1 -- ratelimit.Smoothing

local FIELDS = {'a', 'n', 'i', 'g', 'f', 's', 'm', 'e', 'z', 'q', 'c', 'l'}

-- readState reads the rate hash into a table of numbers (nil: absent).
local function readState(key)
  local v = redis.call('HMGET', key, unpack(FIELDS))
  local st = {}
  for k, name in ipairs(FIELDS) do st[name] = tonumber(v[k]) end
  return st
end

-- probeAt: the factor t µs after a decision set f0, the provider's rate
-- measured at m; it climbs by 1 per recovery, SLOWDOWN times slower until
-- it passes m by the margin. Also returns when (µs after the decision) it
-- reaches 1.
local function probeAt(f0, m, t, L)
  local fast = 1 / L.recovery
  local slow = fast / SLOWDOWN
  local knee = m * (1 + L.margin)
  if knee < f0 then knee = f0 end
  if t < 0 then t = 0 end
  local tk = (knee - f0) / slow
  local f, full
  if t > tk then f = knee + fast * (t - tk) else f = f0 + slow * t end
  if knee >= 1 then full = (1 - f0) / slow else full = tk + (1 - knee) / fast end
  if f > 1 then f = 1 end
  return f, full
end

-- factorOf: the effective-rate factor of state st at now.
local function factorOf(st, now, L)
  if L.recovery <= 0 then return 1 end
  if st.e ~= nil then return st.z end
  if st.f == nil or st.s == nil then return 1 end
  local f = probeAt(st.f, st.m or st.f, now - st.s, L)
  return f
end

-- sentBy: reservations gone out by now: every grant but those whose send
-- time is still ahead (the slots between now and the theoretical arrival
-- time, less the burst tolerance).
local function sentBy(st, now, L)
  local g = st.g or 0
  if st.a == nil or st.n == nil or st.i == nil or st.i <= 0 then return g end
  local pending = (st.a + st.n * st.i - now) / st.i - L.burst
  if pending < 0 then pending = 0 end
  return g - pending
end

-- due: decides st's open measurement if it has lasted L.measure by now:
-- the provider's rate m is what it accepted per second meanwhile
-- (averaged with the last decision's when within SMOOTHING of it), at
-- most the frozen rate and at least backoff times it; the new factor is
-- m less the margin, at least the floor — unless the provider took
-- nearly every send (at most margin/2 of them came back 429) at a rate
-- below the limit measured last (or none was): then the 429 was jitter and
-- nothing is lowered. Returns whether it wrote st.
local function due(st, now, L)
  if st.e == nil or now - st.e < L.measure then return false end
  local sent = sentBy(st, now, L) - st.c
  if st.q <= L.margin / 2 * sent and (st.s == nil or st.z < (st.m or st.f)) then
    -- The provider took nearly everything below the limit measured last:
    -- the 429 that opened the measurement was jitter. Probing resumes
    -- where it froze. (Above that limit, the 429 is the probe finding it
    -- again, and is decided.)
    if st.s ~= nil then st.s = st.s + (now - st.e) end
    st.e, st.z, st.q, st.c, st.l = nil, nil, nil, nil, nil
    return true
  end
  local accepted = sent - st.q
  if accepted < 0 then accepted = 0 end
  local m = accepted * 1000000 / (now - st.e) / L.rate
  local prev = st.m or st.f
  if st.s ~= nil and prev ~= nil and m >= prev * (1 - SMOOTHING) and m <= prev * (1 + SMOOTHING) then
    m = (m + prev) / 2
  end
  if m < st.z * L.backoff then m = st.z * L.backoff end
  if m > st.z then m = st.z end
  local f = m * (1 - L.margin)
  if f < L.floor then f = L.floor end
  if f > 1 then f = 1 end
  st.f, st.s, st.m, st.e, st.z, st.q, st.c, st.l = f, now, m, nil, nil, nil, nil, nil
  return true
end

-- counts429: whether a 429 at now counts in st's open measurement: not
-- when it came within half an interval (at the frozen rate) of the last
-- one counted. Sends leave one interval apart; 429s closer than that
-- answer sends that arrived bunched (a stalled machine, the network), which
-- says nothing of the provider's rate, only of our jitter.
local function counts429(st, now, L)
  return now - st.l >= 500000 / (L.rate * st.z)
end

-- writeLearning stores st's learning fields (a decision clears the
-- measurement's).
local function writeLearning(key, st)
  if st.e ~= nil then
    redis.call('HSET', key, 'e', num(st.e), 'z', num(st.z), 'q', num(st.q), 'c', num(st.c), 'l', num(st.l))
  else
    redis.call('HDEL', key, 'e', 'z', 'q', 'c', 'l')
  end
  if st.f ~= nil then
    redis.call('HSET', key, 'f', num(st.f), 's', num(st.s), 'm', num(st.m or st.f))
  end
end

-- learnedUntil: when st's learning stops mattering: the rate is back to
-- full (an open measurement: as if decided at its end at the floor).
local function learnedUntil(st, now, L)
  if L.recovery <= 0 then return now end
  if st.e ~= nil then
    local _, full = probeAt(L.floor, L.floor, 0, L)
    return st.e + L.measure + full
  end
  if st.f == nil or st.s == nil then return now end
  local _, full = probeAt(st.f, st.m or st.f, 0, L)
  return st.s + full
end

-- learningConfig reads L from ARGV[i..i+7].
local function learningConfig(i)
  return {rate = tonumber(ARGV[i]), burst = tonumber(ARGV[i + 1]), recovery = tonumber(ARGV[i + 2]),
    backoff = tonumber(ARGV[i + 3]), floor = tonumber(ARGV[i + 4]), margin = tonumber(ARGV[i + 5]),
    measure = tonumber(ARGV[i + 6]), holdoff = tonumber(ARGV[i + 7])}
end
