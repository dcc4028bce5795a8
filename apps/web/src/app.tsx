import { lazy, Suspense, useEffect, useState } from 'react';
import { SessionProvider, useSessionState } from './auth/session.tsx';
import { ApiKeysPage } from './pages/api-keys-page.tsx';
import { Loading } from './components/status.tsx';
import { DocumentsPage } from './pages/documents-page.tsx';
import { SearchPage } from './pages/search-page.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { TasksPage } from './pages/tasks-page.tsx';
import { UsagePage } from './pages/usage-page.tsx';

/**
 * The conversations page carries the AI SDK (`useChat` and its stream parser: about 50 kB of the
 * console's 127 kB gzipped), so it is its own chunk, loaded when first opened: sign-in and the
 * other pages do not wait for it.
 */
const ConversationsPage = lazy(async () => ({
  default: (await import('./pages/conversations-page.tsx')).ConversationsPage,
}));

/**
 * Pages by URL fragment (`#/search`): links are plain anchors (keyboard, middle-click, history all
 * work) and the web server needs no rewrite rules, since the path is always /console/.
 */
const PAGES = {
  documents: { title: 'Documents', Page: DocumentsPage },
  search: { title: 'Search', Page: SearchPage },
  conversations: { title: 'Conversations', Page: ConversationsPage },
  tasks: { title: 'Runs and tasks', Page: TasksPage },
  usage: { title: 'Usage', Page: UsagePage },
  keys: { title: 'API keys', Page: ApiKeysPage },
} as const;
type PageName = keyof typeof PAGES;

const pageFromHash = (): PageName => {
  const name = window.location.hash.replace(/^#\/?/, '');
  return name in PAGES ? (name as PageName) : 'documents';
};

function usePage(): PageName {
  const [page, setPage] = useState(pageFromHash);
  useEffect(() => {
    const onChange = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

function Console() {
  const { session } = useSessionState();
  const page = usePage();
  useEffect(() => {
    document.title = session ? `${PAGES[page].title} · Keelson console` : 'Sign in · Keelson console';
  }, [page, session]);
  if (!session) return <SignInPage />;
  const { Page } = PAGES[page];
  return (
    <>
      <header className="top">
        <span className="brand">Keelson</span>
        <nav aria-label="Console">
          <ul>
            {(Object.keys(PAGES) as PageName[]).map((name) => (
              <li key={name}>
                <a href={`#/${name}`} aria-current={name === page ? 'page' : undefined}>
                  {PAGES[name].title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          Signed in as <strong>{session.subject}</strong>{' '}
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Suspense fallback={<Loading what="the page" />}>
          <Page />
        </Suspense>
      </main>
    </>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Console />
    </SessionProvider>
  );
}
