import { useState, type FormEvent } from 'react';
import type { paths } from '../api/schema.ts';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';
import { useResource } from '../components/use-resource.ts';

type Scope = paths['/v1/api-keys']['post']['requestBody']['content']['application/json']['scopes'][number];
type CreatedKey = paths['/v1/api-keys']['post']['responses'][201]['content']['application/json'];

/** The scopes the api grants (apps/api/README.md, "API keys"), in the order a reader weighs them. */
const SCOPES: { scope: Scope; what: string }[] = [
  { scope: 'read', what: 'read documents, search, tasks, conversations and runs' },
  { scope: 'write', what: 'store and delete documents, cancel tasks' },
  { scope: 'agent', what: 'run the agent (spends model tokens)' },
  { scope: 'keys', what: 'manage API keys' },
];

const formatDate = (value: string | null) => (value ? new Date(value).toLocaleString() : '—');

/** The owner's API keys: create one (shown once, with a copy button), list them, revoke one. */
export function ApiKeysPage() {
  const { api } = useSession();
  const { resource, reload } = useResource(() => unwrap(api.GET('/v1/api-keys')));
  const [created, setCreated] = useState<CreatedKey>();
  const [actionError, setActionError] = useState<string>();

  async function revoke(id: string) {
    setActionError(undefined);
    try {
      const { error } = await api.DELETE('/v1/api-keys/{id}', { params: { path: { id } } });
      if (error) throw new Error(error.title);
      if (created?.id === id) setCreated(undefined);
      reload();
    } catch (error) {
      setActionError(`Could not revoke: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return (
    <section aria-labelledby="keys-heading">
      <h1 id="keys-heading">API keys</h1>
      <p className="muted">
        A key acts as you, limited to its scopes, for scripts and other backends that cannot sign in.
      </p>
      <NewKeyForm
        onCreated={(key) => {
          setCreated(key);
          reload();
        }}
      />
      {created && <CreatedKeyNotice created={created} onDismiss={() => setCreated(undefined)} />}
      {actionError && <ErrorMessage message={actionError} />}
      {resource.state === 'loading' && <Loading what="API keys" />}
      {resource.state === 'failed' && (
        <ErrorMessage message={`Could not load API keys: ${resource.message}`} />
      )}
      {resource.state === 'loaded' &&
        (resource.data.items.length === 0 ? (
          <Empty>No API keys.</Empty>
        ) : (
          <table>
            <caption className="visually-hidden">Your API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {resource.data.items.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>kls_{key.prefix}_…</code>
                  </td>
                  <td>{key.scopes.join(', ')}</td>
                  <td>{formatDate(key.createdAt)}</td>
                  <td>{formatDate(key.lastUsedAt)}</td>
                  <td>{key.expiresAt ? formatDate(key.expiresAt) : 'never'}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => void revoke(key.id)}
                      aria-label={`Revoke ${key.name}`}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}

/** The new key, this once: the api stores only its hash, so it can never be shown again. */
function CreatedKeyNotice({ created, onDismiss }: { created: CreatedKey; onDismiss: () => void }) {
  const [copied, setCopied] = useState<'copied' | 'failed'>();
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('copied');
    } catch {
      // No clipboard outside a secure context (plain HTTP on another host): the key stays selectable.
      setCopied('failed');
    }
  }
  return (
    <section aria-labelledby="created-key-heading" className="notice">
      <h2 id="created-key-heading">Key “{created.name}” created</h2>
      <p>Copy it now: it is shown only once.</p>
      <p>
        <code data-testid="created-key">{created.key}</code>
      </p>
      <button type="button" onClick={() => void copy()}>
        Copy key
      </button>{' '}
      <button type="button" onClick={onDismiss}>
        Done
      </button>
      <p role="status">
        {copied === 'copied'
          ? 'Copied.'
          : copied === 'failed'
            ? 'Copying failed: select the key and copy it.'
            : ''}
      </p>
    </section>
  );
}

function NewKeyForm({ onCreated }: { onCreated: (key: CreatedKey) => void }) {
  const { api } = useSession();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const key = await unwrap(
        api.POST('/v1/api-keys', {
          body: {
            name: name.trim(),
            scopes,
            // A date input gives a day: the key works through the end of that day, local time.
            ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
          },
        }),
      );
      setName('');
      setExpires('');
      onCreated(key);
    } catch (failure) {
      setError(`Could not create the key: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));

  return (
    <form onSubmit={(event) => void submit(event)} className="stacked" aria-label="Create an API key">
      <label htmlFor="key-name">Name</label>
      <input id="key-name" value={name} onChange={(event) => setName(event.target.value)} required />
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map(({ scope, what }) => (
          <label key={scope} className="choice">
            <input
              type="checkbox"
              checked={scopes.includes(scope)}
              onChange={(event) => toggle(scope, event.target.checked)}
            />{' '}
            <code>{scope}</code>: {what}
          </label>
        ))}
      </fieldset>
      <label htmlFor="key-expires">Expires (optional; otherwise when revoked)</label>
      <input
        id="key-expires"
        type="date"
        value={expires}
        min={new Date().toISOString().slice(0, 10)}
        onChange={(event) => setExpires(event.target.value)}
      />
      <button type="submit" disabled={busy || scopes.length === 0}>
        Create key
      </button>
      {error && <ErrorMessage message={error} />}
    </form>
  );
}
