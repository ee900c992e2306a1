import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, messageOf, unwrap } from '../api/client';
import { ME_KEY, type Me } from '../app/session';
import { Alert, Button, TextField } from './ui';

/** Sensitive actions (detokenize, playback, download, passkey changes) need an MFA this recent. */
export const STEP_UP_MAX_AGE_SECONDS = 15 * 60;

/** True when the session's last MFA is recent enough, with a minute's margin for the request itself. */
export function isMfaFresh(me: Me | null | undefined, maxAgeSeconds = STEP_UP_MAX_AGE_SECONDS): boolean {
  if (!me) return false;
  return Date.now() - new Date(me.mfaAt).getTime() < (maxAgeSeconds - 60) * 1000;
}

/**
 * Asks for a fresh authentication code and refreshes the session's MFA time (step-up).
 * Shown in place of a sensitive action until it succeeds.
 */
export function StepUpForm({ reason, onDone }: { reason: string; onDone?: () => void }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const digits = code.replace(/\s/g, '');
      await unwrap(api.POST('/v1/auth/step-up', { body: { code: digits } }));
      setCode('');
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      onDone?.();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      onSubmit={submit}
      className="flex max-w-sm flex-col gap-3 rounded-md border border-amber-300 bg-amber-50 p-4"
    >
      <p className="text-sm text-amber-950">{reason}</p>
      {error && <Alert>{error}</Alert>}
      <TextField
        label="Authentication code"
        value={code}
        onChange={setCode}
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={8}
        required
      />
      <Button type="submit" disabled={busy}>
        Confirm it is you
      </Button>
    </form>
  );
}
