/**
 * The fake model as a container for the end-to-end suite: the rule-based responder (echo, search
 * tool call, quote tool results) on $PORT. Never part of a production deployment.
 */
import { loadConfig } from './config.ts';
import { startFakeLlm } from './server.ts';

const config = loadConfig();
const fake = await startFakeLlm({ port: config.PORT, host: config.HOST });
process.stdout.write(`fake-llm listening on ${config.HOST}:${fake.port}\n`);
const stop = () => void fake.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
