/**
 * The HTTP baseline, as a process of its own like the api: Fastify 5 with nothing registered but
 * one route answering the api's /health body, so the difference is everything the api adds
 * around it. Same NODE_ENV, no logger (a hello-world has none), PORT from the environment.
 */
import Fastify from 'fastify';
import { serverPort } from '../config.ts';

// The harness loads this path (http-bench.ts BARE_PATH).
const BARE_PATH = '/x';

const app = Fastify({ logger: false });
app.get(BARE_PATH, async () => ({ status: 'ok' }));
// The harness polls /health until the process answers, as it does for the apps.
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: serverPort() });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
