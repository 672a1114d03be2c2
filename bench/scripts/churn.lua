-- Cold cache / session churn: every request carries a session token the gateway has never seen.
local counter = 0
local prefix = "ory_st_valid" .. tostring(math.random(1, 1e9)) .. "x"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, { ["X-Session-Token"] = prefix .. counter, ["Accept"] = "application/json" })
end
