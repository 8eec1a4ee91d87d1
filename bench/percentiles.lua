-- wrk: print latency percentiles (ms), request rate and count as one JSON line.
done = function(summary, latency, requests)
  io.write(string.format('{"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "rps": %.1f, "requests": %d, "errors": %d}\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
