/** Layout and routes: the sign-in page until there is a key, then the pages behind a nav bar. */
import { useEffect, useRef } from 'react';
import { NavLink, Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './session';
import { SignIn } from './pages/SignIn';
import { Collections } from './pages/Collections';
import { Records } from './pages/Records';
import { Search } from './pages/Search';
import { Chat } from './pages/Chat';
import { Insights } from './pages/Insights';
import { Models } from './pages/Models';
import { Keys } from './pages/Keys';
import { Metrics } from './pages/Metrics';
import { Activity } from './pages/Activity';
import { Webhooks } from './pages/Webhooks';

const PAGES = [
  { to: '/collections', label: 'Collections' },
  { to: '/search', label: 'Search' },
  { to: '/chat', label: 'Chat' },
  { to: '/insights', label: 'Insights' },
  { to: '/activity', label: 'Activity' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/models', label: 'Models' },
  { to: '/keys', label: 'API keys' },
  // Not /metrics: that path is the server's Prometheus endpoint.
  { to: '/stats', label: 'Metrics' },
];

/** After a page change, move focus to the page's heading so keyboard and screen-reader users land on it. */
function useFocusOnNavigate() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [pathname]);
}

export function App() {
  const { client, signOut } = useSession();
  useFocusOnNavigate();
  if (!client) {
    return (
      <main id="main" className="signin-page">
        <SignIn />
      </main>
    );
  }
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Vectra</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.to}>
                <NavLink to={p.to}>{p.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="signout" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Routes>
          <Route path="/" element={<Navigate to="/collections" replace />} />
          <Route path="/collections" element={<Collections />} />
          <Route path="/collections/:name" element={<Records />} />
          <Route path="/search" element={<Search />} />
          <Route path="/chat" element={<Chat />} />
          <Route path="/insights" element={<Insights />} />
          <Route path="/activity" element={<Activity />} />
          <Route path="/webhooks" element={<Webhooks />} />
          <Route path="/models" element={<Models />} />
          <Route path="/keys" element={<Keys />} />
          <Route path="/stats" element={<Metrics />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no such page. Go to <NavLink to="/collections">Collections</NavLink>.
      </p>
    </>
  );
}
