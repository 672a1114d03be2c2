-- A browser's warm session: the gateway's own cookie (SESSION_COOKIE, made by the runner) beside one of the app's.
-- Bare YARP gets the same bytes.
wrk.headers["Cookie"] = "theme=dark; " .. os.getenv("SESSION_COOKIE")
wrk.headers["Accept"] = "text/html"
