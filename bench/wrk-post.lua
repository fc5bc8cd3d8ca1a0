-- wrk script of the benchmarks (bench/lib.mjs, wrkLoad): POSTs the file BODY_FILE as JSON on every
-- request and prints one JSON line of results at the end. With MAX_REQUESTS set, the (single)
-- thread stops after that many responses, for runs bounded by a count instead of a duration (with
-- a duration long enough: the main thread sleeps until it ends or gets SIGINT, which wrkLoad sends).
local file = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

local max = tonumber(os.getenv("MAX_REQUESTS") or "0")
if max > 0 then
  local count = 0
  -- Defined only when needed: with it, wrk hands every response to Lua, which costs it CPU.
  response = function(status, headers, body)
    count = count + 1
    if count == max then
      wrk.thread:stop()
      -- wrk's main thread sleeps for the duration and only SIGINT ends the sleep early. A signal
      -- sent from here can land before that sleep begins and be lost, so the caller (wrkLoad)
      -- sends it, again until wrk exits, once it reads this line.
      io.stdout:write("wrk: requests reached\n")
      io.stdout:flush()
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"errors":%d,"nonOk":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
