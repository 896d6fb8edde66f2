// Latency statistics shared by the load generator (one run) and the orchestrator (several rounds
// of one scenario merged): percentiles by nearest rank over raw samples, milliseconds to 3 decimals.

export const r3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

/** An empty set of raw samples; `mergeRaw` adds one run's into it. */
export function emptyRaw() {
  return {
    latencies: [],
    firstBytes: [],
    non2xx: 0,
    errors: 0,
    errorSamples: [],
    statusCounts: {},
    eventSums: [],
    eventCounts: [],
    eventsPerResponse: {},
    bytes: 0,
  };
}

export function mergeRaw(into, raw) {
  for (const x of raw.latencies) into.latencies.push(x);
  for (const x of raw.firstBytes) into.firstBytes.push(x);
  into.non2xx += raw.non2xx;
  into.errors += raw.errors;
  for (const e of raw.errorSamples) if (into.errorSamples.length < 5) into.errorSamples.push(e);
  for (const [k, v] of Object.entries(raw.statusCounts)) into.statusCounts[k] = (into.statusCounts[k] ?? 0) + v;
  raw.eventSums.forEach((s, i) => {
    into.eventSums[i] = (into.eventSums[i] ?? 0) + s;
    into.eventCounts[i] = (into.eventCounts[i] ?? 0) + raw.eventCounts[i];
  });
  for (const [k, v] of Object.entries(raw.eventsPerResponse)) into.eventsPerResponse[k] = (into.eventsPerResponse[k] ?? 0) + v;
  into.bytes += raw.bytes;
  return into;
}

/** Stats of raw samples measured over `elapsedMs` of wall time. */
export function summarize(raw, elapsedMs, { sse }) {
  const lat = Float64Array.from(raw.latencies).sort();
  const fb = Float64Array.from(raw.firstBytes).sort();
  const completed = raw.latencies.length + raw.non2xx;
  let sum = 0;
  for (const x of lat) sum += x;
  const out = {
    seconds: r3(elapsedMs / 1000),
    requests: completed,
    ok: raw.latencies.length,
    rps: r3(elapsedMs > 0 ? completed / (elapsedMs / 1000) : 0),
    latency_ms: {
      mean: r3(lat.length ? sum / lat.length : null),
      p50: r3(percentile(lat, 0.5)),
      p90: r3(percentile(lat, 0.9)),
      p99: r3(percentile(lat, 0.99)),
      max: r3(lat.length ? lat[lat.length - 1] : null),
    },
    first_byte_ms: {
      p50: r3(percentile(fb, 0.5)),
      p99: r3(percentile(fb, 0.99)),
    },
    errors: raw.errors,
    error_samples: raw.errorSamples,
    non2xx: raw.non2xx,
    status_counts: raw.statusCounts,
    bytes: raw.bytes,
  };
  if (sse) {
    out.events_per_response = raw.eventsPerResponse;
    out.event_mean_ms = raw.eventSums.map((s, i) => r3(s / raw.eventCounts[i]));
    out.event_counts = raw.eventCounts;
  }
  return out;
}
