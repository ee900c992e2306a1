import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { type ReactNode, useEffect } from 'react';
import { Alert, Button, Loading } from '../components/ui';
import { type ScreenPath, visibleScreens } from './navigation';
import { hasCapability, type Me, useIdleLock, useMe, useSessionEndedRedirect, useSignOut } from './session';

/** Everything behind sign-in: header, navigation drawn from the caller's capabilities, idle lock. */
export function AppLayout() {
  const me = useMe();
  useSessionEndedRedirect();
  useIdleLock(me.data);
  const signOut = useSignOut();
  // The resolved location, not the pending one: while a navigation loads, `location` is already the
  // target but the rendered matches are the old ones (redirecting on it ping-ponged between routes).
  const pathname = useRouterState({ select: (s) => (s.resolvedLocation ?? s.location).pathname });
  if (me.isPending) return <Loading label="Checking your session…" />;
  if (me.isError) return <Alert>Could not reach the Bulwark server. Reload to try again.</Alert>;
  if (!me.data) return <Redirect to="/sign-in" />;
  const user = me.data;
  if (user.passwordChangeRequired && pathname !== '/account') return <Redirect to="/account" />;
  const screens = visibleScreens(user.capabilities);
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="flex items-center justify-between gap-4 bg-blue-950 px-4 py-3 text-white">
        <div className="flex items-center gap-2">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span className="text-lg font-semibold">Bulwark</span>
        </div>
        <div className="flex items-center gap-3 text-sm">
          <span>
            <span className="font-medium">{user.username}</span>{' '}
            <span className="text-blue-100">({user.roles.map(roleLabel).join(', ')})</span>
          </span>
          <Button variant="secondary" onClick={() => void signOut()}>
            Sign out
          </Button>
        </div>
      </header>
      <div className="flex">
        <nav
          aria-label="Main"
          className="min-h-[calc(100vh-56px)] w-56 shrink-0 border-r border-slate-300 bg-white p-3"
        >
          <ul className="flex flex-col gap-1">
            {screens.map((s) => (
              <li key={s.path}>
                <Link
                  to={s.path}
                  className="block rounded px-3 py-2 text-sm text-slate-900 hover:bg-slate-100"
                  activeProps={{ className: 'bg-blue-100 font-semibold', 'aria-current': 'page' }}
                >
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="flex-1 p-6" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}

export const roleLabel = (role: string) => role.replace(/_/g, ' ');

/** Shows its screen only to callers with the capability; others get a plain refusal, no data. */
export function RequireCapability({ capability, children }: { capability: string; children: ReactNode }) {
  const me = useMe();
  if (!me.data) return null;
  if (!hasCapability(me.data, capability))
    return <Alert>Your role does not give access to this screen.</Alert>;
  return <>{children}</>;
}

/** `/`: the first screen the caller may use. */
export function HomeRedirect() {
  const me = useMe();
  if (!me.data) return me.isPending ? <Loading /> : <Redirect to="/sign-in" />;
  if (me.data.passwordChangeRequired) return <Redirect to="/account" />;
  const first = visibleScreens(me.data.capabilities)[0];
  return <Redirect to={first?.path ?? '/account'} />;
}

/**
 * Navigates once when mounted. The router's <Navigate> navigates again on every render (its props
 * are a new object each time), and the layout re-renders while that navigation is pending: each
 * navigation cancelled the previous one and the tab spun forever (first sign-in → /account).
 */
function Redirect({ to }: { to: ScreenPath | '/sign-in' }) {
  const navigate = useNavigate();
  useEffect(() => {
    void navigate({ to, replace: true });
  }, [navigate, to]);
  return <Loading />;
}

export type { Me };
