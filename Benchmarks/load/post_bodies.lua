-- wrk script: POST bodies read from BODIES (one JSON body per line), cycling through them.
-- Every "@MID@" in a body is replaced by a fresh message id per request, so a long run
-- stores distinct events instead of deduplicating repeats.
-- Usage: BODIES=file.ndjson wrk -s post_bodies.lua -c 16 -d 10s http://127.0.0.1:8080/v1/batch
local bodies = {}
local index = 0
local counter = 0
local prefix = ""

local threads = 0

-- Each thread's ids start with the run's start time and the thread's number: distinct across
-- threads and across runs against the same server (which would otherwise deduplicate them).
function setup(thread)
  threads = threads + 1
  thread:set("id", os.time() .. "-" .. threads)
end

function init(args)
  local path = os.getenv("BODIES")
  for line in io.lines(path) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  index = math.random(#bodies)
  prefix = (id or tostring(math.random(1, 1e9))) .. "-"
end

local function fresh()
  counter = counter + 1
  return prefix .. counter
end

function request()
  index = index % #bodies + 1
  local body = string.gsub(bodies[index], "@MID@", fresh)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

dofile("summary.lua")
