-- The sign-in POST: a fresh address per request, with one antiforgery cookie and token fetched beforehand.
local counter = 0
local prefix = "bench" .. tostring(math.random(1, 1e9))
local token = os.getenv("SIGNIN_TOKEN")
local cookie = os.getenv("SIGNIN_COOKIE")
request = function()
  counter = counter + 1
  local body = "email=" .. prefix .. "x" .. counter .. "%40example.com&returnUrl=%2F&__RequestVerificationToken=" .. token
  return wrk.format("POST", "/_gateway/sign-in", {
    ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie, ["Accept"] = "text/html" }, body)
end

-- With PACE_MS set (the runner's fixed-rate part), each connection waits about that long after every answer, drawn
-- evenly from half to one and a half times that, so the connections do not fall into step.
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace then
  delay = function() return math.floor(pace * (0.5 + math.random()) + 0.5) end
end
