-- wrk script for scripts/load.sh (which prepends `ids`, `prefixes`, `token`, `write_percent`).
-- Mix: 35 % 2-hop neighbourhoods, 25 % direct neighbours, 20 % shortest paths,
-- 15 % name searches, 5 % writes (a new city each). Counts answers by status; any
-- 4xx or 5xx answer or socket error is an error (all cities are in one component).

counter = 0
statuses = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + id)
  statuses = {}
end

local function pick(list)
  return list[math.random(#list)]
end

function request()
  counter = counter + 1
  if math.random() * 100 < write_percent then
    local body = string.format('{"kind": "city", "name": "Load %d %d %d", "country": "RU"}', id, counter, math.random(1000000000))
    return wrk.format("POST", "/api/v1/nodes", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
    }, body)
  end
  local r = math.random(95)
  if r <= 35 then
    return wrk.format("GET", "/api/v1/nodes/" .. pick(ids) .. "/neighbourhood?depth=2&limit=200")
  elseif r <= 60 then
    return wrk.format("GET", "/api/v1/nodes/" .. pick(ids) .. "/neighbours")
  elseif r <= 80 then
    return wrk.format("GET", "/api/v1/paths/shortest?from=" .. pick(ids) .. "&to=" .. pick(ids))
  else
    local q = pick(prefixes):gsub("[^%w]", function(c)
      return string.format("%%%02X", string.byte(c))
    end)
    return wrk.format("GET", "/api/v1/nodes?limit=20&q=" .. q)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do
      merged[code] = (merged[code] or 0) + n
    end
  end
  io.write("answers by status:")
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for code, n in pairs(merged) do
    io.write(string.format(" %d:%d", code, n))
    if code >= 400 then
      errors = errors + n
    end
  end
  io.write(string.format("\nrequests: %d in %.1f s = %.0f/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; errors: %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
