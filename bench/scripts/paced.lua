-- Fixed rate: each connection waits about PACE_MS after every answer (set by the runner), drawn evenly from half to
-- one and a half times that, so the connections do not fall into step and arrive in bursts.
wrk.headers["X-Session-Token"] = "ory_st_validWarmSessionToken0000000000"
wrk.headers["Accept"] = "application/json"
local pace = tonumber(os.getenv("PACE_MS") or "10")
delay = function() return math.floor(pace * (0.5 + math.random()) + 0.5) end
