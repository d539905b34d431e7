-- A client's token bucket, shared by every gateway, run by Redis as one atomic script: it takes up to
-- ARGV[3] tokens at once (a lease, which one gateway then spends without asking again) and, when it
-- has none to give, says how long until the next one.
--
-- KEYS[1]: the bucket. ARGV[1]: tokens refilled a second; ARGV[2]: capacity (the burst); ARGV[3]:
-- tokens wanted. Returns {tokens granted, microseconds until a token when none was granted}.
--
-- The clock is Redis's own (TIME; allowed before a write since Redis 5 replicates a script's effects,
-- not the script), so the gateways' clocks need not agree.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate / 1000000)
end
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
-- %.0f: a time in microseconds has 16 digits, more than tostring's 14.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', now))
-- A bucket left alone is full again after this long, and then no different from none.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
local wait = 0
if granted == 0 then
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
return {granted, wait}
