-- Reject path: API calls without any credential.
wrk.headers["Accept"] = "application/json"
