import { useState, type FormEvent } from 'react';
import type { paths } from '../api/schema.ts';
import { unwrap } from '../api/unwrap.ts';
import { useSession } from '../auth/session.tsx';
import { Highlight } from '../components/highlight.tsx';
import { Empty, ErrorMessage, Loading } from '../components/status.tsx';

type Hits = paths['/v1/search']['post']['responses'][200]['content']['application/json'];
type SearchState =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'done'; query: string; result: Hits };

/** Full-text (and hybrid, with embeddings) search over the owner's documents, matches marked. */
export function SearchPage() {
  const { api } = useSession();
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState<SearchState>({ state: 'idle' });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const asked = query.trim();
    setSearch({ state: 'loading' });
    try {
      const result = await unwrap(api.POST('/v1/search', { body: { query: asked, limit: 20 } }));
      setSearch({ state: 'done', query: asked, result });
    } catch (error) {
      setSearch({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <section aria-labelledby="search-heading">
      <h1 id="search-heading">Search</h1>
      <form role="search" onSubmit={(event) => void submit(event)} className="inline">
        <label htmlFor="search-query" className="visually-hidden">
          Search your documents
        </label>
        <input
          id="search-query"
          type="search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder='words, "an exact phrase", -excluded'
          required
        />
        <button type="submit">Search</button>
      </form>
      {search.state === 'loading' && <Loading what="results" />}
      {search.state === 'failed' && <ErrorMessage message={`Search failed: ${search.message}`} />}
      {search.state === 'done' &&
        (search.result.hits.length === 0 ? (
          <Empty>Nothing matches “{search.query}”.</Empty>
        ) : (
          <ol className="hits" aria-label="Results">
            {search.result.hits.map((hit) => (
              <li key={hit.chunkId}>
                <h2>{hit.documentTitle}</h2>
                <p>
                  <Highlight text={hit.content} query={search.query} />
                </p>
                <p className="muted">score {hit.score.toFixed(3)}</p>
              </li>
            ))}
          </ol>
        ))}
    </section>
  );
}
