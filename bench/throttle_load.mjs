#!/usr/bin/env node
// Open-loop load for bench/throttle.sh: GETs one URL at a fixed arrival rate (requests are sent
// on schedule whether or not earlier ones have been answered, so a slow server shows as latency
// instead of as a lower offered rate) over a keep-alive pool, and prints one JSON summary:
// requests by status, admitted (2xx) requests per 10-second slice of the run (by send time),
// and latency percentiles of the admitted and of the throttled requests. Node built-ins only.
//
//   node bench/throttle_load.mjs --url U --token T --ca FILE --rate R --seconds S [--connections C]
import fs from 'node:fs';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

function options(argv) {
  const out = { connections: 64 };
  for (let i = 2; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['url', 'token', 'ca', 'rate', 'seconds']) {
    if (out[k] === undefined) throw new Error(`throttle_load: --${k} is required`);
  }
  return { ...out, rate: Number(out.rate), seconds: Number(out.seconds), connections: Number(out.connections) };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const opt = options(process.argv);
const agent = new https.Agent({ keepAlive: true, maxSockets: opt.connections, ca: fs.readFileSync(opt.ca) });
const total = Math.round(opt.rate * opt.seconds);
const byStatus = {};
const slices = [];
const admitted = [];
const throttled = [];
let done = 0;
let sent = 0;
const t0 = performance.now();

function record(start, status) {
  byStatus[status] = (byStatus[status] ?? 0) + 1;
  const latency = performance.now() - start;
  if (status >= 200 && status < 300) {
    admitted.push(latency);
    const slice = Math.floor((start - t0) / 10_000);
    slices[slice] = (slices[slice] ?? 0) + 1;
  } else if (status === 429) {
    throttled.push(latency);
  }
  done += 1;
}

function fire() {
  const start = performance.now();
  const req = https.request(opt.url, { agent, headers: { authorization: `Bearer ${opt.token}` } }, (res) => {
    res.resume();
    res.on('end', () => record(start, res.statusCode));
    res.on('error', () => record(start, 0));
  });
  req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
  req.on('error', () => record(start, 0));
  req.end();
}

await new Promise((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * opt.rate) / 1000));
    while (sent < due) { sent += 1; fire(); }
    if (sent >= total) resolve(); else setTimeout(tick, 1);
  };
  tick();
});
const deadline = performance.now() + 20_000;
while (done < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
agent.destroy();

const ms = (v) => (v === null ? null : Math.round(v * 100) / 100);
admitted.sort((a, b) => a - b);
throttled.sort((a, b) => a - b);
const fullSlices = Math.floor(opt.seconds / 10);
process.stdout.write(`${JSON.stringify({
  offered_per_s: opt.rate,
  seconds: opt.seconds,
  sent,
  answered: done,
  by_status: byStatus,
  admitted_per_10s: Array.from({ length: fullSlices }, (_, i) => slices[i] ?? 0),
  admitted_ms: { p50: ms(percentile(admitted, 50)), p99: ms(percentile(admitted, 99)) },
  throttled_ms: { p50: ms(percentile(throttled, 50)), p99: ms(percentile(throttled, 99)) },
})}\n`);
