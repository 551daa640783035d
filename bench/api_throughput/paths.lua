-- wrk script of bench/api_throughput: GET a random path from a list, with a bearer token.
--
--   wrk -t2 -c16 -d10s -s paths.lua http://127.0.0.1:PORT -- PATHS_FILE TOKEN
--
-- PATHS_FILE holds one request path per line (one line for a fixed URL). Every response that is
-- not 2xx is counted (wrk itself counts only >= 400), and done() prints one machine-readable
-- line, BENCH_RESULT key=value ..., for the Python driver.

threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  local headers = {
    ["Authorization"] = "Bearer " .. args[2],
    ["Accept"] = "application/json",
  }
  prepared = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      prepared[#prepared + 1] = wrk.format("GET", line, headers)
    end
  end
  if #prepared == 0 then
    error("no request paths in " .. args[1])
  end
  math.randomseed(os.time() * 100 + thread_no)
  non2xx = 0
end

function request()
  return prepared[math.random(#prepared)]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d"
      .. " non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    bad, errors.connect, errors.read, errors.write, errors.timeout
  ))
end
