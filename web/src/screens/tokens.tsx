import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { api, messageOf, type paths, problemFrom, unwrap } from '../api/client';
import { ME_KEY, useMe } from '../app/session';
import { isMfaFresh, StepUpForm } from '../components/step-up';
import { Alert, Button, Card, formatDateTime, PageHeader, SelectField, TextField } from '../components/ui';

type TokenBody = paths['/v1/tokens']['post']['requestBody']['content']['application/json'];
type TokenType = TokenBody['type'];

const TYPES: Array<{ value: TokenType; label: string }> = [
  { value: 'PAN', label: 'Card number (PAN)' },
  { value: 'BANK_ACCOUNT', label: 'Bank account number' },
  { value: 'IBAN', label: 'IBAN' },
  { value: 'ABA_ROUTING', label: 'ABA routing number' },
  { value: 'US_SSN', label: 'US Social Security number' },
  { value: 'UK_NINO', label: 'UK National Insurance number' },
  { value: 'PHONE', label: 'Phone number' },
  { value: 'EMAIL', label: 'Email address' },
  { value: 'DATE_OF_BIRTH', label: 'Date of birth' },
];

/** A revealed value disappears from the screen after this long. */
export const REVEAL_SECONDS = 60;

/**
 * Token vault: swap a value for a token, and reveal the value behind a token with a stated
 * purpose and a recent MFA check. Revealed values live in this component's state only (a mutation,
 * never a query), are masked until asked for, and are dropped after a minute or on leaving.
 */
export function TokensScreen() {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Token vault"
        description="Replace card numbers and other sensitive values with tokens, and reveal a value when there is a recorded reason to."
      />
      <Tokenize />
      <Detokenize />
    </div>
  );
}

function parseMetadata(text: string): Record<string, string> | undefined {
  const entries = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new Error(`Metadata lines are key=value ("${l.slice(0, 20)}" is not).`);
      return [l.slice(0, eq).trim(), l.slice(eq + 1).trim()] as const;
    });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function Tokenize() {
  const ids = useId();
  const [value, setValue] = useState('');
  const [type, setType] = useState<TokenType>('PAN');
  const [mode, setMode] = useState<'random' | 'ff1'>('random');
  const [deterministic, setDeterministic] = useState(false);
  const [ttl, setTtl] = useState('');
  const [metadata, setMetadata] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState<{ token: string; expiresAt: string | null } | null>(null);
  const [copied, setCopied] = useState(false);
  const create = useMutation({
    mutationFn: (body: TokenBody) => unwrap(api.POST('/v1/tokens', { body })),
    gcTime: 0,
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setToken(null);
    setCopied(false);
    try {
      const ttlSeconds = ttl.trim() === '' ? undefined : Number(ttl);
      if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds < 1))
        throw new Error('Lifetime must be a whole number of seconds, at least 1.');
      const result = await create.mutateAsync({
        value,
        type,
        mode,
        deterministic,
        ttlSeconds,
        metadata: parseMetadata(metadata),
      });
      create.reset();
      setValue('');
      setToken(result);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Card title="Tokenize a value">
      <form onSubmit={submit} className="flex max-w-2xl flex-col gap-3">
        {error && <Alert>{error}</Alert>}
        <TextField
          label="Value to tokenize"
          value={value}
          onChange={setValue}
          autoComplete="off"
          type="password"
          hint="Typed as a password field so it is not shown or remembered by the browser."
          required
        />
        <SelectField
          label="Value type"
          value={type}
          onChange={(v) => setType(v as TokenType)}
          options={TYPES}
        />
        <fieldset className="flex flex-col gap-1">
          <legend className="mb-1 text-sm font-medium text-slate-800">Token format</legend>
          <label className="flex items-center gap-2 text-sm text-slate-900">
            <input
              type="radio"
              name={`${ids}-mode`}
              checked={mode === 'random'}
              onChange={() => setMode('random')}
            />
            Random (never a valid card number)
          </label>
          <label className="flex items-center gap-2 text-sm text-slate-900">
            <input
              type="radio"
              name={`${ids}-mode`}
              checked={mode === 'ff1'}
              onChange={() => setMode('ff1')}
            />
            Format-preserving (FF1: same length and character set)
          </label>
        </fieldset>
        <label className="flex items-center gap-2 text-sm text-slate-900">
          <input
            type="checkbox"
            checked={deterministic}
            onChange={(e) => setDeterministic(e.target.checked)}
          />
          Deterministic (the same value always gives the same token)
        </label>
        <TextField
          label="Lifetime in seconds (optional)"
          value={ttl}
          onChange={setTtl}
          inputMode="numeric"
          hint="Leave empty for a token that does not expire."
        />
        <div className="flex flex-col gap-1">
          <label htmlFor={`${ids}-meta`} className="text-sm font-medium text-slate-800">
            Metadata (optional)
          </label>
          <textarea
            id={`${ids}-meta`}
            value={metadata}
            onChange={(e) => setMetadata(e.target.value)}
            rows={2}
            aria-describedby={`${ids}-meta-hint`}
            className="rounded-md border border-slate-400 bg-white px-3 py-2 font-mono text-sm focus-visible:outline-2 focus-visible:outline-blue-700"
          />
          <p id={`${ids}-meta-hint`} className="text-xs text-slate-700">
            One key=value a line, e.g. order=A-1001 (at most 20; never put sensitive data here).
          </p>
        </div>
        <div>
          <Button type="submit" disabled={create.isPending}>
            Tokenize
          </Button>
        </div>
      </form>
      {token && (
        <div
          role="status"
          className="mt-4 rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-950"
        >
          <p>
            Token:{' '}
            <code data-testid="new-token" className="rounded bg-white px-2 py-0.5 font-mono text-slate-900">
              {token.token}
            </code>
          </p>
          <p className="mt-1">
            {token.expiresAt ? `Expires ${formatDateTime(token.expiresAt)}.` : 'Does not expire.'}
          </p>
          <Button
            variant="secondary"
            className="mt-2"
            onClick={() =>
              void navigator.clipboard.writeText(token.token).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            Copy token
          </Button>
          {copied && <span className="ml-2">Copied.</span>}
        </div>
      )}
    </Card>
  );
}

type Revealed = { value: string; type: string; token: string; at: number };

function Detokenize() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [token, setToken] = useState('');
  const [purpose, setPurpose] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [needStepUp, setNeedStepUp] = useState(false);
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const [shown, setShown] = useState(false);
  const [remaining, setRemaining] = useState(REVEAL_SECONDS);
  const fresh = isMfaFresh(me.data);

  const reveal = useMutation({
    mutationFn: async (body: { token: string; purpose: string }) => {
      const { data, error: problem, response } = await api.POST('/v1/tokens/detokenize', { body });
      if (!response.ok || !data) {
        const stale =
          response.status === 403 && (problem as { reason?: string } | undefined)?.reason === 'mfa_stale';
        if (stale) return 'stale' as const;
        throw problemFrom(response, problem);
      }
      return data;
    },
    gcTime: 0,
  });

  // Auto-hide: the value is dropped (not just masked) after REVEAL_SECONDS; unmounting drops it too.
  useEffect(() => {
    if (!revealed) return;
    const timer = window.setInterval(() => {
      const left = REVEAL_SECONDS - Math.floor((Date.now() - revealed.at) / 1000);
      if (left <= 0) {
        setRevealed(null);
        setShown(false);
      } else setRemaining(left);
    }, 1000);
    return () => window.clearInterval(timer);
  }, [revealed]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setRevealed(null);
    setShown(false);
    if (purpose.trim().length < 3) {
      setError('State the purpose (at least 3 characters): it is recorded in the audit log.');
      return;
    }
    try {
      const result = await reveal.mutateAsync({ token: token.trim(), purpose: purpose.trim() });
      reveal.reset(); // the mutation cache keeps no copy
      if (result === 'stale') {
        setNeedStepUp(true);
        await queryClient.invalidateQueries({ queryKey: ME_KEY });
        return;
      }
      setRemaining(REVEAL_SECONDS);
      setRevealed({ ...result, token: token.trim(), at: Date.now() });
    } catch (err) {
      reveal.reset();
      setError(messageOf(err));
    }
  };

  const stepUp = needStepUp || !fresh;
  return (
    <Card title="Reveal a value (detokenize)">
      <div className="flex flex-col gap-4">
        <p className="text-sm text-slate-800">
          Revealing a value needs the detokenize permission, an MFA check within the last 15 minutes and a
          purpose. Each reveal is recorded in the audit log with your purpose.
        </p>
        {stepUp && (
          <StepUpForm
            reason={
              needStepUp
                ? 'The server asks for a fresh MFA check before revealing a value. Enter a code from your authenticator app, then reveal again.'
                : 'Your last MFA check is too old to reveal values. Enter a code from your authenticator app to continue.'
            }
            onDone={() => setNeedStepUp(false)}
          />
        )}
        <form onSubmit={submit} className="flex max-w-2xl flex-col gap-3">
          {error && <Alert>{error}</Alert>}
          <TextField label="Token" value={token} onChange={setToken} autoComplete="off" required />
          <TextField
            label="Purpose"
            value={purpose}
            onChange={setPurpose}
            autoComplete="off"
            maxLength={200}
            hint="Why you need the value, e.g. the case or chargeback reference. Recorded in the audit log."
            required
          />
          <div>
            <Button
              type="submit"
              disabled={reveal.isPending || stepUp || purpose.trim().length < 3 || !token.trim()}
            >
              Reveal value
            </Button>
          </div>
        </form>
        {revealed && (
          <div className="flex flex-col gap-2 rounded-md border border-slate-300 bg-slate-50 p-3 text-sm text-slate-900">
            <p>
              {revealed.type} behind <code className="font-mono">{revealed.token}</code>:
            </p>
            <p className="flex flex-wrap items-center gap-3">
              <span className="sr-only">{shown ? 'Value:' : 'Value (hidden):'}</span>
              <code data-testid="revealed-value" className="rounded bg-white px-2 py-1 font-mono text-base">
                {shown ? revealed.value : '•'.repeat(Math.min(revealed.value.length, 24))}
              </code>
              <Button variant="secondary" aria-pressed={shown} onClick={() => setShown(!shown)}>
                {shown ? 'Hide' : 'Reveal'}
              </Button>
              <Button
                variant="secondary"
                onClick={() => {
                  setRevealed(null);
                  setShown(false);
                }}
              >
                Clear now
              </Button>
            </p>
            <p className="text-xs text-slate-700">Cleared from the screen in {remaining} s.</p>
          </div>
        )}
      </div>
    </Card>
  );
}
