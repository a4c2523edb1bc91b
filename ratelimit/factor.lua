-- factor: what the account's rate has learned, for status and metrics:
-- {factor, the provider's last measured rate as a factor ('' if none),
-- measuring 0|1}. Reads only: a measurement past its course is shown as
-- still open.
-- KEYS[1] rate hash   ARGV[1] clock ('' = Redis TIME)   ARGV[2..9] the learning config
local L = learningConfig(2)
local st = readState(KEYS[1])
local m = ''
if st.f ~= nil and st.s ~= nil then m = num(st.m or st.f) end
local measuring = 0
if st.e ~= nil then measuring = 1 end
return {num(factorOf(st, clock(ARGV[1]), L)), m, measuring}
