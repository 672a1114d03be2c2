-- A front proxy's auth request (Traefik's ForwardAuth, Caddy's forward_auth) about a request carrying the warm-cache
-- arm's valid session token, asked of the gateway's forward-auth endpoint; compared with bare YARP proxying that token.
wrk.path = "/_gateway/auth"
wrk.headers["X-Session-Token"] = "ory_st_validWarmSessionToken0000000000"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-Forwarded-Method"] = "GET"
wrk.headers["X-Forwarded-Proto"] = "https"
wrk.headers["X-Forwarded-Host"] = "app.bench.test"
wrk.headers["X-Forwarded-Uri"] = "/bench?from=wrk"
