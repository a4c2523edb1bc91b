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

-- factorAt is the effective-rate factor at now: Throttled left it at f0 at
-- time since, and it climbs back linearly to 1 over recovery.
local function factorAt(f0, since, now, recovery)
  if recovery <= 0 or f0 == nil or since == nil then return 1 end
  local elapsed = now - since
  if elapsed < 0 then elapsed = 0 end
  local f = f0 + (1 - f0) * elapsed / recovery
  if f >= 1 then return 1 end
  return f
end
