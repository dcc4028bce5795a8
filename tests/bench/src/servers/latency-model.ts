/**
 * The model of the agent-run rows: the repository's scripted OpenAI-compatible server
 * (tests/fake-llm) answering every chat request with a short text after MODEL_LATENCY_MS, as a
 * provider does when it is the slow part of a turn. It counts the chat requests waiting for their
 * answer at once (`maxInFlight`): the proof that the task-runner replicas' concurrency adds up at
 * the model. The counts are served on STATS_PORT (`GET /stats`; `POST /stats/reset` starts a round).
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeLlm } from '@repo/fake-llm';
import { latencyModelConfig, serverPort } from '../config.ts';

const { latencyMs, statsPort } = latencyModelConfig();
const counts = { requests: 0, inFlight: 0, maxInFlight: 0 };

const fake = await startFakeLlm({
  port: serverPort(),
  host: '127.0.0.1',
  // The wait is the responder's, not the reply's delayMs, so the count covers exactly the time a
  // request waits for "the model"; the reply then streams at once.
  responder: async () => {
    counts.requests++;
    counts.inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    try {
      await sleep(latencyMs);
    } finally {
      counts.inFlight--;
    }
    return { text: 'Noted.' };
  },
});
// A fake-llm keeps every request for tests to read; this one runs for minutes, so it forgets them.
setInterval(() => (fake.requests.length = 0), 1_000).unref();

const stats = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/stats/reset') {
    counts.requests = 0;
    counts.maxInFlight = counts.inFlight;
  } else if (req.method !== 'GET' || req.url !== '/stats') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
});
await new Promise<void>((resolve) => stats.listen(statsPort, '127.0.0.1', resolve));

process.once('SIGTERM', () => {
  stats.close();
  void fake.close().then(() => process.exit(0));
});
