/**
 * The model of the turn rows: the repository's scripted OpenAI-compatible server (tests/fake-llm,
 * the rule-based responder: it echoes the user, instantly), as a process of its own. Beside what
 * the fake-llm image does, it prints the first chat request it receives as one JSON line
 * (`{"firstRequest": …}`), so the bench can send the model exactly what the agent sends it and time
 * the model alone, and it forgets the requests it records (a fake-llm keeps them all for tests).
 */
import { startFakeLlm } from '@repo/fake-llm';
import { serverPort } from '../config.ts';

const fake = await startFakeLlm({ port: serverPort(), host: '127.0.0.1' });
let printed = false;
setInterval(() => {
  if (!printed && fake.requests.length > 0) {
    printed = true;
    process.stdout.write(`${JSON.stringify({ firstRequest: fake.requests[0] })}\n`);
  }
  if (printed) fake.requests.length = 0;
}, 100);
process.once('SIGTERM', () => void fake.close().then(() => process.exit(0)));
