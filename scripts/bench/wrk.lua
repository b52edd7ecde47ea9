-- wrk script for scripts/bench.sh.
--
-- Environment (read once per wrk thread):
--   BENCH_METHOD  GET or POST (default GET)
--   BENCH_AUTH    the whole Authorization header value ("SSWS …" or "Bearer …")
--   BENCH_BODY    the request body (POST only; sent as application/json)
--
-- Every response's status is checked: wrk itself only counts statuses above 399, so
-- `response` counts anything outside 200–299. `done` prints one line,
-- `BENCH_RESULT {json}`, that scripts/bench/benchlib.py reads.

local method = os.getenv("BENCH_METHOD") or "GET"
wrk.method = method
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.headers["Accept"] = "application/json"
if method == "POST" then
   wrk.body = os.getenv("BENCH_BODY") or "{}"
   wrk.headers["Content-Type"] = "application/json"
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
   first_bad = 0
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_bad == 0 then
         first_bad = status
      end
   end
end

function done(summary, latency, requests)
   local bad, first = 0, 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("non2xx")
      if first == 0 then
         first = thread:get("first_bad")
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
         .. '"non2xx": %d, "first_bad_status": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean,
      bad, first,
      e.connect, e.read, e.write, e.status, e.timeout))
end
