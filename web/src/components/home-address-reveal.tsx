import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, messageOf, unwrap } from '../api/client';
import { Alert, Button, TextField } from './ui';

/** How long a fetched address stays in memory before it is dropped (ms). */
export const HOME_ADDRESS_TTL_MS = 60_000;

/**
 * "Home address…" for a wfm_manager: asks for a purpose, fetches one agent's address with
 * POST /v1/wfm/agents/{agentId}/home-address (audited server-side with the purpose), shows it masked
 * until "Reveal" is pressed, and drops it from memory after 60 s, on "Hide" and on unmount. Never
 * cached (a mutation, not a query) and never logged. With no `agentId` the agent id is asked too.
 */
export function HomeAddressReveal({ agentId: fixedAgentId }: { agentId?: string }) {
  const [open, setOpen] = useState(false);
  const [agentId, setAgentId] = useState(fixedAgentId ?? '');
  const [purpose, setPurpose] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [address, setAddress] = useState<{ agentId: string; value: string; purpose: string } | null>(null);
  const [revealed, setRevealed] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const drop = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    setAddress(null);
    setRevealed(false);
  };
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const id = agentId.trim();
    const p = purpose.trim();
    if (!id) return setError('Enter the agent id.');
    if (p.length < 3 || p.length > 200)
      return setError('State why you need the home address, in 3 to 200 characters.');
    setError(null);
    setBusy(true);
    try {
      const res = await unwrap(
        api.POST('/v1/wfm/agents/{agentId}/home-address', {
          params: { path: { agentId: id } },
          body: { purpose: p },
        }),
      );
      setAddress({ agentId: res.agentId, value: res.homeAddress, purpose: p });
      setRevealed(false);
      setOpen(false);
      setPurpose('');
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(drop, HOME_ADDRESS_TTL_MS);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  if (address)
    return (
      <div className="flex flex-col gap-2" data-testid="home-address">
        <p className="text-sm text-slate-800">
          Home address of <strong>{address.agentId}</strong> for “{address.purpose}” (recorded in the audit
          log; cleared after 60 seconds):
        </p>
        <output className="font-mono text-sm" aria-live="polite">
          {revealed ? address.value : '•••••••••••• (hidden)'}
        </output>
        <div className="flex gap-2">
          {!revealed && <Button onClick={() => setRevealed(true)}>Reveal</Button>}
          <Button variant="secondary" onClick={drop}>
            Hide
          </Button>
        </div>
      </div>
    );
  if (!open)
    return (
      <Button variant="secondary" onClick={() => setOpen(true)}>
        Home address…
      </Button>
    );
  return (
    <form onSubmit={submit} className="flex max-w-xl flex-col gap-2" noValidate>
      {fixedAgentId === undefined && (
        <TextField label="Agent id" value={agentId} onChange={setAgentId} required maxLength={200} />
      )}
      <TextField
        label="Purpose"
        value={purpose}
        onChange={setPurpose}
        required
        maxLength={200}
        hint="Why you need this person's home address. Recorded in the audit log with your name."
      />
      {error && <Alert>{error}</Alert>}
      <div className="flex gap-2">
        <Button type="submit" disabled={busy}>
          Get home address
        </Button>
        <Button
          variant="secondary"
          onClick={() => {
            setOpen(false);
            setError(null);
          }}
        >
          Cancel
        </Button>
      </div>
    </form>
  );
}
