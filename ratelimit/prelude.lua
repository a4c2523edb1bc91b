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

-- ms is a PEXPIRE argument for us microseconds: rounded up, at least 1.
local function ms(us)
  local m = math.ceil(us / 1000)
  if m < 1 then m = 1 end
  return string.format('%d', m)
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
