// alert-sink: the webhook receiver of the local monitoring profile. Alertmanager POSTs each
// notification here (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config);
// it prints one JSON line per notification, so `docker compose logs -f alert-sink` shows what
// would have paged someone. Plain Node, no dependency: it runs in the stock node image.
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT ?? 8080);
/** The last notifications, for `GET /notifications` (debugging from inside the network). */
const recent = [];

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (request.method === 'GET' && request.url === '/notifications') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(recent));
    return;
  }
  if (request.method !== 'POST') {
    response.writeHead(405).end();
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let payload;
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      response.writeHead(400).end();
      return;
    }
    const line = {
      receivedAt: new Date().toISOString(),
      path: request.url,
      receiver: payload.receiver,
      status: payload.status,
      groupLabels: payload.groupLabels,
      truncatedAlerts: payload.truncatedAlerts ?? 0,
      alerts: (payload.alerts ?? []).map((alert) => ({
        status: alert.status,
        labels: alert.labels,
        summary: alert.annotations?.summary,
        startsAt: alert.startsAt,
      })),
    };
    recent.push(line);
    if (recent.length > 100) recent.shift();
    process.stdout.write(`${JSON.stringify(line)}\n`);
    response.writeHead(200).end();
  });
});

server.listen(PORT, '0.0.0.0');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
