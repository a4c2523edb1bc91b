-- throttle: the provider answered 429. The first 429 past the hold-off
-- after the last decision opens a measurement at the current rate, later
-- ones are counted in it (unless bunched: counts429), and one that comes once it has lasted the
-- measure decides it (prelude.lua).
-- KEYS[1] rate hash
-- ARGV[1] clock ('' = Redis TIME)  ARGV[2..9] the learning config
-- Returns the factor after it.
local now = clock(ARGV[1])
local L = learningConfig(2)
local st = readState(KEYS[1])
if st.e ~= nil then
  if counts429(st, now, L) then st.q, st.l = st.q + 1, now end
  due(st, now, L)
elseif st.s ~= nil and now - st.s < L.holdoff then
  return num(factorOf(st, now, L))
else
  st.z = factorOf(st, now, L)
  st.e, st.q, st.c, st.l = now, 0, sentBy(st, now, L), now
end
writeLearning(KEYS[1], st)
-- The hash lives until the rate is full again, or longer if its GCRA
-- state (theoretical arrival time a + n*i) needs it.
local expiry = learnedUntil(st, now, L)
if st.a ~= nil and st.n ~= nil and st.i ~= nil and st.a + st.n * st.i > expiry then expiry = st.a + st.n * st.i end
expireAt(KEYS[1], now, expiry)
return num(factorOf(st, now, L))
