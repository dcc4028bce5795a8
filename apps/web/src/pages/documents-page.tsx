import { useState, type FormEvent } from 'react';
import { idempotencyKey } from '../api/idempotency-key.ts';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { PAGE_SIZE, usePagedResource } from '../components/use-paged-resource.ts';

const settled = new Set(['ready', 'failed']);

/** The owner's documents: upload a file or type one, watch it become ready, delete it. */
export function DocumentsPage() {
  const { api } = useSession();
  const { resource, reload, loadMore, loadingMore, loadMoreError } = usePagedResource(
    (cursor) => unwrap(api.GET('/v1/documents', { params: { query: { limit: PAGE_SIZE, cursor } } })),
    // Ingestion takes a second or two: poll until every document shown is ready or failed.
    { poll: (items) => items.some((document) => !settled.has(document.status)) },
  );
  const [actionError, setActionError] = useState<string>();
  // The document whose Delete was pressed: nothing is deleted until the dialog is confirmed.
  const [confirming, setConfirming] = useState<{ id: string; title: string }>();

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
      <UploadForm onUploaded={reload} />
      <NewDocumentForm onCreated={reload} />
      {actionError && <ErrorMessage message={actionError} />}
      {confirming && (
        <ConfirmDialog
          title={`Delete “${confirming.title}”?`}
          confirmLabel="Delete"
          onClose={(confirmed) => {
            setConfirming(undefined);
            if (confirmed) void remove(confirming.id);
          }}
        >
          <p>Search and the agent will no longer find it. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {resource.state === 'loading' && <Loading what="documents" />}
      {resource.state === 'failed' && (
        <ErrorMessage message={`Could not load documents: ${resource.message}`} />
      )}
      {resource.state === 'loaded' &&
        (resource.data.items.length === 0 ? (
          <Empty>No documents yet: add one above, and search and the agent will find it.</Empty>
        ) : (
          <>
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
                    <td>
                      {document.title}
                      {document.file && (
                        <span className="muted">
                          {' '}
                          ({document.file.name}, {formatSize(document.file.size)})
                        </span>
                      )}
                    </td>
                    <td>
                      <span className={`badge badge-${document.status}`}>{document.status}</span>
                      {document.error && <span className="error"> {document.error}</span>}
                    </td>
                    <td>{document.chunkCount}</td>
                    <td>{new Date(document.createdAt).toLocaleString()}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() => setConfirming({ id: document.id, title: document.title })}
                        aria-label={`Delete ${document.title}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore
              shown={resource.data.items.length}
              what="documents"
              hasMore={resource.data.nextCursor !== null}
              busy={loadingMore}
              error={loadMoreError}
              onLoadMore={loadMore}
            />
          </>
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
    <form onSubmit={(event) => void submit(event)} className="stacked" aria-label="Write a document">
      <label htmlFor="document-title">Title</label>
      <input id="document-title" value={title} onChange={(event) => setTitle(event.target.value)} required />
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

const formatSize = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/**
 * A file sent as it is (multipart `POST /v1/documents`): the api streams it to object storage and
 * the task-runner converts it (PDF, DOCX, Markdown, HTML, text), so the list shows it queued, then
 * processing, then ready, or failed with the reason. A stack without object storage answers 503
 * naming `S3_BUCKET`, which is shown as it is.
 */
function UploadForm({ onUploaded }: { onUploaded: () => void }) {
  const { api } = useSession();
  const [file, setFile] = useState<File>();
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return;
    const form = event.currentTarget;
    setBusy(true);
    setError(undefined);
    try {
      const data = new FormData();
      if (title.trim()) data.set('title', title.trim());
      data.set('file', file);
      await unwrap(
        api.POST('/v1/documents', {
          // openapi-fetch's documented way to send a file: the typed body names the multipart
          // fields, the serializer hands over the FormData (the browser sets the boundary).
          body: { file: file.name, ...(title.trim() ? { title: title.trim() } : {}) },
          bodySerializer: () => data,
          params: { header: { 'idempotency-key': idempotencyKey() } },
        }),
      );
      setFile(undefined);
      setTitle('');
      form.reset();
      onUploaded();
    } catch (failure) {
      setError(`Could not upload the file: ${failure instanceof Error ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(event) => void submit(event)} className="stacked" aria-label="Upload a file">
      <label htmlFor="upload-file">File (PDF, DOCX, Markdown, HTML or text)</label>
      <input
        id="upload-file"
        type="file"
        accept=".pdf,.docx,.md,.markdown,.html,.htm,.txt,application/pdf,text/plain,text/markdown,text/html"
        onChange={(event) => setFile(event.target.files?.[0])}
        required
      />
      <label htmlFor="upload-title">Title (optional; the file name otherwise)</label>
      <input id="upload-title" value={title} onChange={(event) => setTitle(event.target.value)} />
      <button type="submit" disabled={busy || !file}>
        Upload
      </button>
      {error && <ErrorMessage message={error} />}
    </form>
  );
}
