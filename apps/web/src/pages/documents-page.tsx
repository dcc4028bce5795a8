import { useState, type FormEvent } from 'react';
import { idempotencyKey } from '../api/idempotency-key.ts';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';
import { useResource } from '../components/use-resource.ts';

const settled = new Set(['ready', 'failed']);

/** The owner's documents: add one (typed or from a text file), watch it become ready, delete it. */
export function DocumentsPage() {
  const { api } = useSession();
  const { resource, reload } = useResource(
    () => unwrap(api.GET('/v1/documents', { params: { query: { limit: 50 } } })),
    // Ingestion takes a second or two: poll until every document is ready or failed.
    { poll: (page) => page.items.some((document) => !settled.has(document.status)) },
  );
  const [actionError, setActionError] = useState<string>();

  async function remove(id: string) {
    setActionError(undefined);
    try {
      const { error } = await api.DELETE('/v1/documents/{id}', { params: { path: { id } } });
      if (error) throw new Error(error.title);
      reload();
    } catch (error) {
      setActionError(`Could not delete: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return (
    <section aria-labelledby="documents-heading">
      <h1 id="documents-heading">Documents</h1>
      <NewDocumentForm onCreated={reload} />
      {actionError && <ErrorMessage message={actionError} />}
      {resource.state === 'loading' && <Loading what="documents" />}
      {resource.state === 'failed' && (
        <ErrorMessage message={`Could not load documents: ${resource.message}`} />
      )}
      {resource.state === 'loaded' &&
        (resource.data.items.length === 0 ? (
          <Empty>No documents yet: add one above, and search and the agent will find it.</Empty>
        ) : (
          <table>
            <caption className="visually-hidden">Your documents</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Chunks</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {resource.data.items.map((document) => (
                <tr key={document.id}>
                  <td>{document.title}</td>
                  <td>
                    <span className={`badge badge-${document.status}`}>{document.status}</span>
                    {document.error && <span className="error"> {document.error}</span>}
                  </td>
                  <td>{document.chunkCount}</td>
                  <td>{new Date(document.createdAt).toLocaleString()}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() => void remove(document.id)}
                      aria-label={`Delete ${document.title}`}
                    >
                      Delete
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

function NewDocumentForm({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function readFile(file: File | undefined) {
    if (!file) return;
    setContent(await file.text());
    if (title === '') setTitle(file.name.replace(/\.[^.]+$/, ''));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // An Idempotency-Key makes a retried submission (double click, flaky network) store one document.
      await unwrap(
        api.POST('/v1/documents', {
          body: { title: title.trim(), content },
          params: { header: { 'idempotency-key': idempotencyKey() } },
        }),
      );
      setTitle('');
      setContent('');
      onCreated();
    } catch (failure) {
      setError(`Could not add the document: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)} className="stacked" aria-label="Add a document">
      <label htmlFor="document-title">Title</label>
      <input id="document-title" value={title} onChange={(event) => setTitle(event.target.value)} required />
      <label htmlFor="document-file">From a text file (optional)</label>
      <input
        id="document-file"
        type="file"
        accept=".txt,.md,text/plain,text/markdown"
        onChange={(event) => void readFile(event.target.files?.[0])}
      />
      <label htmlFor="document-content">Content</label>
      <textarea
        id="document-content"
        value={content}
        onChange={(event) => setContent(event.target.value)}
        rows={5}
        required
      />
      <button type="submit" disabled={busy}>
        Add document
      </button>
      {error && <ErrorMessage message={error} />}
    </form>
  );
}
