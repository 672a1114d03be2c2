-- Reject path: a flood of one forged token.
wrk.headers["X-Session-Token"] = "ory_st_forgedForgedForgedForgedForged00"
wrk.headers["Accept"] = "application/json"
