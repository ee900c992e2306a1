import { startAuthentication, WebAuthnError } from '@simplewebauthn/browser';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { api, messageOf, unwrap } from '../api/client';
import { ME_KEY, rememberIdleTimeout } from '../app/session';
import { QrCode } from '../components/qr-code';
import { Alert, Button, TextField } from '../components/ui';

type Step =
  | { kind: 'credentials' }
  | { kind: 'mfa'; challenge: string; useRecovery: boolean }
  | { kind: 'enrol'; challenge: string; secret: string; uri: string }
  | { kind: 'recovery-codes'; codes: string[] };

type Issued = { idleTimeoutSeconds: number; recoveryCodes?: string[] | undefined };

/** Username and password, then the second factor; first sign-in enrols an authenticator app. */
export function SignInScreen() {
  const { reason } = useSearch({ from: '/sign-in' });
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: 'credentials' });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const finish = async (issued: Issued) => {
    rememberIdleTimeout(issued.idleTimeoutSeconds);
    setPassword('');
    setCode('');
    if (issued.recoveryCodes && issued.recoveryCodes.length > 0) {
      setStep({ kind: 'recovery-codes', codes: issued.recoveryCodes });
      return;
    }
    await enter();
  };
  const enter = async () => {
    // Drop the cached answer (null from the visit before sign-in): invalidating would keep that
    // null on screen while refetching, and the layout would send the new session back here.
    queryClient.removeQueries({ queryKey: ME_KEY });
    await navigate({ to: '/' });
  };

  const run = (work: () => Promise<void>) => async (e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const submitCredentials = run(async () => {
    const result = await unwrap(api.POST('/v1/auth/login', { body: { username, password } }));
    setPassword('');
    if (result.status === 'mfa_required')
      setStep({ kind: 'mfa', challenge: result.challenge, useRecovery: false });
    else if (result.status === 'mfa_enrollment_required')
      setStep({
        kind: 'enrol',
        challenge: result.challenge,
        secret: result.totp.secret,
        uri: result.totp.uri,
      });
    else await finish(result);
  });

  const submitCode = (challenge: string, useRecovery: boolean) =>
    run(async () => {
      const body = useRecovery
        ? { challenge, recoveryCode: code.trim() }
        : { challenge, code: code.replace(/\s/g, '') };
      await finish(await unwrap(api.POST('/v1/auth/mfa', { body })));
    });

  const signInWithPasskey = run(async () => {
    const options = await unwrap(
      api.POST('/v1/auth/passkeys/login/options', { body: username ? { username } : {} }),
    );
    let response: Awaited<ReturnType<typeof startAuthentication>>;
    try {
      response = await startAuthentication({ optionsJSON: options as never });
    } catch (e) {
      throw new Error(
        e instanceof WebAuthnError || (e instanceof Error && e.name === 'NotAllowedError')
          ? 'The passkey sign-in was cancelled or your device could not verify you.'
          : messageOf(e),
      );
    }
    await finish(
      await unwrap(api.POST('/v1/auth/passkeys/login/verify', { body: { response: response as never } })),
    );
  });

  return (
    <main id="main" className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-md rounded-lg border border-slate-300 bg-white p-6 shadow-sm">
        <h1 className="mb-1 text-2xl font-semibold">Sign in to Bulwark</h1>
        <p className="mb-4 text-sm text-slate-700">Contact-center security console</p>
        {reason === 'locked' && step.kind === 'credentials' && (
          <div className="mb-4">
            <Alert kind="info">
              The console locked after a period of inactivity. Sign in again to continue.
            </Alert>
          </div>
        )}
        {reason === 'expired' && step.kind === 'credentials' && (
          <div className="mb-4">
            <Alert kind="info">Your session ended. Sign in again to continue.</Alert>
          </div>
        )}
        {error && (
          <div className="mb-4">
            <Alert>{error}</Alert>
          </div>
        )}

        {step.kind === 'credentials' && (
          <form onSubmit={submitCredentials} className="flex flex-col gap-4">
            <TextField
              label="Username"
              value={username}
              onChange={setUsername}
              autoComplete="username webauthn"
              required
              autoFocus
            />
            <TextField
              label="Password"
              type="password"
              value={password}
              onChange={setPassword}
              autoComplete="current-password"
              required
            />
            <Button type="submit" disabled={busy}>
              Sign in
            </Button>
            <div className="border-t border-slate-200 pt-4">
              <Button
                variant="secondary"
                className="w-full"
                onClick={() => void signInWithPasskey()}
                disabled={busy}
              >
                Sign in with a passkey
              </Button>
            </div>
          </form>
        )}

        {step.kind === 'mfa' && (
          <form onSubmit={submitCode(step.challenge, step.useRecovery)} className="flex flex-col gap-4">
            {step.useRecovery ? (
              <TextField
                label="Recovery code"
                value={code}
                onChange={setCode}
                autoComplete="off"
                required
                autoFocus
              />
            ) : (
              <TextField
                label="Authentication code"
                value={code}
                onChange={setCode}
                inputMode="numeric"
                autoComplete="one-time-code"
                hint="The 6-digit code from your authenticator app"
                maxLength={8}
                required
                autoFocus
              />
            )}
            <Button type="submit" disabled={busy}>
              Verify
            </Button>
            <Button
              variant="secondary"
              onClick={() => {
                setCode('');
                setStep({ ...step, useRecovery: !step.useRecovery });
              }}
            >
              {step.useRecovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
            </Button>
          </form>
        )}

        {step.kind === 'enrol' && (
          <form onSubmit={submitCode(step.challenge, false)} className="flex flex-col gap-4">
            <h2 className="text-lg font-semibold">Set up your authenticator app</h2>
            <p className="text-sm text-slate-700">
              Every Bulwark account needs a second factor. Scan this code with an authenticator app (or enter
              the key by hand), then type the code it shows.
            </p>
            <div className="flex justify-center">
              <QrCode value={step.uri} label="QR code to add Bulwark to your authenticator app" />
            </div>
            <div>
              <p className="text-sm font-medium">Setup key</p>
              <code
                data-testid="totp-secret"
                className="block break-all rounded bg-slate-100 p-2 font-mono text-sm"
              >
                {step.secret}
              </code>
            </div>
            <TextField
              label="Authentication code"
              value={code}
              onChange={setCode}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={8}
              required
              autoFocus
            />
            <Button type="submit" disabled={busy}>
              Finish setup
            </Button>
          </form>
        )}

        {step.kind === 'recovery-codes' && (
          <div className="flex flex-col gap-4">
            <h2 className="text-lg font-semibold">Save your recovery codes</h2>
            <Alert kind="info">
              Each code signs you in once if you lose your authenticator. They are shown only now: store them
              somewhere safe.
            </Alert>
            <ul aria-label="Recovery codes" className="grid grid-cols-2 gap-2 font-mono text-sm">
              {step.codes.map((c) => (
                <li key={c} className="rounded bg-slate-100 px-2 py-1">
                  {c}
                </li>
              ))}
            </ul>
            <Button onClick={() => void enter()}>I have saved these codes</Button>
          </div>
        )}
      </div>
    </main>
  );
}
