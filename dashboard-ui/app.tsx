/**
 * The page's frame: who is signed in (or the login form), the navigation, and the page the path names.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { API, type MeResponse } from '../shared/dashboard/api-types.js';
import { apiGet, apiPost, ApiError } from './api/http.js';
import { closeLiveStream } from './api/live.js';
import { Link, matchRoute, navigate, useLocation } from './router.js';
import { SessionContext } from './session.js';
import { LoginPage } from './pages/login.js';
import { OverviewPage } from './pages/overview.js';
import { NodesPage } from './pages/nodes.js';
import { JobsPage } from './pages/jobs.js';
import { JobPage } from './pages/job.js';
import { SchedulesPage } from './pages/schedules.js';
import { DatasetsPage } from './pages/datasets.js';

const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/nodes', 'Nodes'],
  ['/jobs', 'Jobs'],
  ['/schedules', 'Schedules'],
  ['/datasets', 'Datasets'],
];

function pageFor(path: string): JSX.Element {
  if (path === '/' || path === '') return <OverviewPage />;
  if (path === '/nodes') return <NodesPage />;
  if (path === '/jobs') return <JobsPage />;
  const job = matchRoute('/jobs/:id', path);
  if (job) return <JobPage key={job.id} id={job.id} />;
  if (path === '/schedules') return <SchedulesPage />;
  if (path === '/datasets') return <DatasetsPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link href="/">Overview</Link>
      </p>
    </section>
  );
}

function section(path: string): string {
  return NAV.find(([href]) => (href === '/' ? path === '/' : path.startsWith(href)))?.[0] ?? '';
}

export function App(): JSX.Element {
  const location = useLocation();
  const [me, setMe] = useState<MeResponse | undefined>(undefined);
  const [checked, setChecked] = useState(false);

  useEffect(() => {
    apiGet<MeResponse>(API.me).then(
      (value) => {
        setMe(value);
        setChecked(true);
      },
      (error: unknown) => {
        setChecked(true);
        if (!(error instanceof ApiError && error.status === 401)) console.error(error);
      },
    );
  }, []);

  const onLogin = (value: MeResponse): void => {
    setMe(value);
    navigate(location.query.get('next') || '/', { replace: true });
  };

  const onLogout = async (): Promise<void> => {
    closeLiveStream();
    await apiPost(API.logout).catch(() => undefined);
    setMe(undefined);
    navigate('/login', { replace: true });
  };

  // The page starts loading its data at once, beside GET /api/me (one round trip less before content);
  // until the answer comes, it shows no buttons that need a role.
  if (location.path === '/login' || (checked && !me)) {
    if (me) {
      navigate(location.query.get('next') || '/', { replace: true });
      return <main class="loading">Loading…</main>;
    }
    if (!checked) return <main class="loading">Loading…</main>;
    return <LoginPage onLogin={onLogin} />;
  }

  const current = section(location.path);
  return (
    <SessionContext.Provider value={me}>
      <header class="top">
        <Link href="/" class="brand">
          quantgrid
        </Link>
        <nav>
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} class={current === href ? 'active' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span class="who" data-role={me?.role}>
          {me?.user} <span class="role">{me?.role}</span>
          {!me || me.authDisabled ? null : (
            <button type="button" class="link" onClick={() => void onLogout()}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <main key={location.path}>{pageFor(location.path)}</main>
    </SessionContext.Provider>
  );
}
