-- Fixed rate: each connection waits PACE_MS between requests (set by the runner through the environment).
wrk.headers["X-Session-Token"] = "ory_st_validWarmSessionToken0000000000"
wrk.headers["Accept"] = "application/json"
local pace = tonumber(os.getenv("PACE_MS") or "10")
delay = function() return pace end
