-- wrk script for scripts/scale.sh, which prepends `mode`, `sources`, `path_pairs`, `token`.
-- mode: "neighbours" (GET …/neighbours), "twohop" (GET …/neighbourhood?depth=2),
-- "twohop_nodes" (the same without the links among the nodes), "twohop_partners" (the
-- API's defaults: partner links — twinning, friendship, trilateral — that are active, at most 500 nodes), "path" (GET /api/v1/paths/shortest), "write" (POST a friendship link between two
-- random bench cities of 20,000, durable before the answer). Prints one summary line:
-- requests a second (for "write", links created a second: 201 answers only), latency
-- p50/p99/max in ms, errors, answers by status (reads: ok and >= 400); any 4xx/5xx
-- answer other than 409 (a pair that already has the link) or socket error is an error.

counter = 0
statuses = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

local function pick(list)
  return list[math.random(#list)]
end

function request()
  counter = counter + 1
  if mode == "neighbours" then
    return wrk.format("GET", "/api/v1/nodes/" .. pick(sources) .. "/neighbours?kinds=all&status=any")
  elseif mode == "twohop" then
    return wrk.format("GET", "/api/v1/nodes/" .. pick(sources) .. "/neighbourhood?depth=2&limit=10000&kinds=all&status=any")
  elseif mode == "twohop_nodes" then
    return wrk.format("GET", "/api/v1/nodes/" .. pick(sources) .. "/neighbourhood?depth=2&limit=10000&kinds=all&status=any&links=false")
  elseif mode == "twohop_partners" then
    return wrk.format("GET", "/api/v1/nodes/" .. pick(sources) .. "/neighbourhood?depth=2")
  elseif mode == "path" then
    local p = pick(path_pairs)
    return wrk.format("GET", "/api/v1/paths/shortest?kinds=all&status=any&from=" .. p[1] .. "&to=" .. p[2])
  else
    -- Between the 20,000 bench cities scale.sh creates: writes never touch the
    -- network the reads ask about.
    local a, b = math.random(0, 19999), math.random(0, 19999)
    while b == a do b = math.random(0, 19999) end
    a, b = "city:aq:bench-" .. a, "city:aq:bench-" .. b
    local body = string.format('{"kind": "friendship", "members": ["%s", "%s"], "status": "active"}', a, b)
    return wrk.format("POST", "/api/v1/links", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
    }, body)
  end
end

-- With `pace_ms` set (scale.sh's PACE_MS; wrk takes whole milliseconds), each
-- connection waits that long after an answer before its next request: the rate is
-- about connections / (pace + latency), for the latency at a given rate rather than at
-- the most the machine does.
if pace_ms then
  function delay()
    return pace_ms
  end
end

-- Answers are counted by status only for writes (whose 201s are the figure). A
-- `response` function makes wrk copy every answer's headers and body into Lua, which
-- for 2-hop answers of tens of kilobytes took CPU from the server on the same cores;
-- reads count wrk's own tally of statuses >= 400 as errors.
if mode == "write" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local merged, errors = {}, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      merged[code] = (merged[code] or 0) + n
    end
  end
  local codes = ""
  for code, n in pairs(merged) do
    codes = codes .. string.format(" %d:%d", code, n)
    if code >= 400 and code ~= 409 then errors = errors + n end
  end
  if mode ~= "write" then
    errors = errors + summary.errors.status
    codes = string.format(" ok:%d bad_status:%d", summary.requests - summary.errors.status, summary.errors.status)
  end
  local counted = summary.requests
  if mode == "write" then counted = merged[201] or 0 end
  io.write(string.format("RESULT %s %.0f %.2f %.2f %.2f %d%s\n", mode,
    counted / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors, codes))
end
