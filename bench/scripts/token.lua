-- Every request carries one valid Kratos session token (the warm-cache arm; bare YARP gets the same bytes).
wrk.headers["X-Session-Token"] = "ory_st_validWarmSessionToken0000000000"
wrk.headers["Accept"] = "application/json"
