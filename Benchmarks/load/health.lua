-- wrk script: GET /health, reporting the same one-line JSON summary as post_bodies.lua.
dofile("summary.lua")
