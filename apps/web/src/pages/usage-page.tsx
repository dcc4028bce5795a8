import type { components } from '../api/schema.ts';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';
import { useResource } from '../components/use-resource.ts';

type Usage = components['schemas']['Usage'];
type Quotas = components['schemas']['Quotas'];
type Totals = Usage['totals'];

const integer = new Intl.NumberFormat();
const usd = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 6,
});

const formatBytes = (bytes: number) =>
  bytes < 1024 ** 2
    ? `${integer.format(Math.round(bytes / 1024))} KiB`
    : bytes < 1024 ** 3
      ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
      : `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** A cost that says when it is partial: calls of a model without a price are not in it. */
function formatCost({ cost, unpricedCalls }: Totals) {
  if (cost === null) return 'not priced';
  return unpricedCalls > 0 ? `${usd.format(cost)} (+${unpricedCalls} unpriced)` : usd.format(cost);
}

/**
 * What the owner spends (model tokens and cost this month, by day and by model: GET /v1/usage)
 * and what it may still hold (GET /v1/quotas). The three requests go out together; the month is
 * the api's default range, so the page shows what a monthly bill would.
 */
export function UsagePage() {
  const { api } = useSession();
  const { resource } = useResource(async () => {
    const [byDay, byModel, quotas] = await Promise.all([
      unwrap(api.GET('/v1/usage', { params: { query: { groupBy: 'day' } } })),
      unwrap(api.GET('/v1/usage', { params: { query: { groupBy: 'model' } } })),
      unwrap(api.GET('/v1/quotas')),
    ]);
    return { byDay, byModel, quotas };
  });
  return (
    <section aria-labelledby="usage-heading">
      <h1 id="usage-heading">Usage and quotas</h1>
      {resource.state === 'loading' && <Loading what="usage" />}
      {resource.state === 'failed' && <ErrorMessage message={`Could not load usage: ${resource.message}`} />}
      {resource.state === 'loaded' && (
        <>
          <QuotaList quotas={resource.data.quotas} />
          <ModelUsage byDay={resource.data.byDay} byModel={resource.data.byModel} />
        </>
      )}
    </section>
  );
}

function QuotaList({ quotas }: { quotas: Quotas }) {
  const rows = [
    { name: 'Documents', ...quotas.documents, format: (n: number) => integer.format(n) },
    { name: 'Stored bytes', ...quotas.storedBytes, format: formatBytes },
    { name: 'Background agent runs', ...quotas.openAgentRuns, format: (n: number) => integer.format(n) },
    { name: 'Runs at once', ...quotas.concurrentRuns, format: (n: number) => integer.format(n) },
    { name: 'Model tokens this month', ...quotas.monthlyTokens, format: (n: number) => integer.format(n) },
  ];
  return (
    <section aria-labelledby="quotas-heading">
      <h2 id="quotas-heading">Quotas</h2>
      <p className="muted">
        They free up when you delete a document or a run finishes; model tokens start again on the 1st (UTC).
      </p>
      <dl className="quotas">
        {rows.map(({ name, limit, used, format }) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>
              <meter min={0} max={limit} value={used} high={limit * 0.9} aria-label={`${name} used`} />{' '}
              {format(used)} of {format(limit)}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function ModelUsage({ byDay, byModel }: { byDay: Usage; byModel: Usage }) {
  const { totals } = byDay;
  const since = new Date(byDay.from).toLocaleDateString();
  return (
    <section aria-labelledby="model-usage-heading">
      <h2 id="model-usage-heading">Model usage since {since}</h2>
      {totals.calls === 0 ? (
        <Empty>No model calls this month: talk to the agent and its tokens show here.</Empty>
      ) : (
        <>
          <p data-testid="usage-totals">
            {integer.format(totals.calls)} model calls, {integer.format(totals.inputTokens)} input and{' '}
            {integer.format(totals.outputTokens)} output tokens, cost {formatCost(totals)}.
          </p>
          <UsageTable
            caption="By day (UTC)"
            first="Day"
            rows={byDay.groups.map((group) => ({ key: group.day ?? '', label: group.day ?? '', ...group }))}
          />
          <UsageTable
            caption="By model"
            first="Model"
            rows={byModel.groups.map((group) => ({
              key: `${group.provider}:${group.model}`,
              label: `${group.provider}:${group.model}`,
              ...group,
            }))}
          />
        </>
      )}
    </section>
  );
}

function UsageTable({
  caption,
  first,
  rows,
}: {
  caption: string;
  first: string;
  rows: (Totals & { key: string; label: string })[];
}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{first}</th>
          <th scope="col">Calls</th>
          <th scope="col">Input tokens</th>
          <th scope="col">Output tokens</th>
          <th scope="col">Cost</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row">{row.label}</th>
            <td>{integer.format(row.calls)}</td>
            <td>{integer.format(row.inputTokens)}</td>
            <td>{integer.format(row.outputTokens)}</td>
            <td>{formatCost(row)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
