import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useEffect, useRef } from 'react';
import { api, onSessionEnded, ProblemError, problemFrom } from '../api/client';

export type Me = MeResponse;
type MeResponse = {
  id: string;
  username: string;
  tenantId: string;
  roles: string[];
  teams: string[];
  region: string;
  sessionId: string;
  mfaAt: string;
  passwordChangeRequired: boolean;
  capabilities: string[];
  idleTimeoutSeconds?: number;
};

export const ME_KEY = ['me'] as const;
const IDLE_KEY = 'bulwark.idleTimeoutSeconds';
const DEFAULT_IDLE_SECONDS = 900;

/** The signed-in user, or null when there is no live session. */
export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async (): Promise<Me | null> => {
      const { data, error, response } = await api.GET('/v1/me');
      if (response.status === 401) return null;
      if (!response.ok || !data) throw problemFrom(response, error);
      const me = data as Partial<MeResponse>;
      return { ...(data as MeResponse), capabilities: me.capabilities ?? [] };
    },
    staleTime: 30_000,
    retry: (count, error) => !(error instanceof ProblemError) && count < 2,
  });
}

export const hasCapability = (me: Me | null | undefined, capability: string) =>
  me?.capabilities.includes(capability) === true;

/** Remembers the server's idle timeout from the sign-in answer (not sensitive; per tab). */
export function rememberIdleTimeout(seconds: number): void {
  sessionStorage.setItem(IDLE_KEY, String(seconds));
}

export function idleTimeoutSeconds(me?: Me | null): number {
  if (me?.idleTimeoutSeconds) return me.idleTimeoutSeconds;
  const stored = Number(sessionStorage.getItem(IDLE_KEY));
  return Number.isFinite(stored) && stored > 0 ? stored : DEFAULT_IDLE_SECONDS;
}

/**
 * Drops every piece of fetched data from memory. Run on sign-out, lock and session end, so
 * nothing sensitive stays on screen or in the cache behind a sign-in form.
 */
export function useWipeSession() {
  const queryClient = useQueryClient();
  return () => {
    queryClient.cancelQueries();
    queryClient.clear();
  };
}

export function useSignOut() {
  const wipe = useWipeSession();
  const navigate = useNavigate();
  return async (reason?: 'locked' | 'expired') => {
    try {
      await api.POST('/v1/auth/logout');
    } catch {
      // The session may already be gone; the local wipe below is what matters for the screen.
    }
    wipe();
    await navigate({ to: '/sign-in', search: reason ? { reason } : {} });
  };
}

/** Sends the user to sign-in when any API call finds the session ended (expired, revoked). */
export function useSessionEndedRedirect() {
  const queryClient = useQueryClient();
  const wipe = useWipeSession();
  const navigate = useNavigate();
  useEffect(
    () =>
      onSessionEnded(() => {
        // "Your session ended" only when there was one: a first visit's 401 from /v1/me is not news.
        const hadSession = Boolean(queryClient.getQueryData(ME_KEY));
        wipe();
        void navigate({ to: '/sign-in', search: hadSession ? { reason: 'expired' } : {} });
      }),
    [queryClient, wipe, navigate],
  );
}

const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'mousemove'] as const;

/**
 * Locks the console after the server's idle timeout without user activity: the session is
 * ended on the server, every fetched record is wiped, and the sign-in screen says why.
 * The server enforces the same timeout on its side; this makes the screen follow it.
 */
export function useIdleLock(me: Me | null | undefined) {
  const signOut = useSignOut();
  const signOutRef = useRef(signOut);
  signOutRef.current = signOut;
  const lastActivity = useRef(Date.now());
  const timeoutMs = idleTimeoutSeconds(me) * 1000;
  const signedIn = Boolean(me);
  useEffect(() => {
    if (!signedIn) return;
    lastActivity.current = Date.now();
    const touch = () => {
      lastActivity.current = Date.now();
    };
    for (const e of ACTIVITY_EVENTS) window.addEventListener(e, touch, { passive: true });
    const timer = window.setInterval(
      () => {
        if (Date.now() - lastActivity.current >= timeoutMs) {
          window.clearInterval(timer);
          void signOutRef.current('locked');
        }
      },
      Math.min(1000, timeoutMs / 4),
    );
    return () => {
      window.clearInterval(timer);
      for (const e of ACTIVITY_EVENTS) window.removeEventListener(e, touch);
    };
  }, [signedIn, timeoutMs]);
}
