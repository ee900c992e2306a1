import { startRegistration } from '@simplewebauthn/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, expectOk, messageOf, unwrap } from '../api/client';
import { roleLabel } from '../app/layout';
import { ME_KEY, useMe } from '../app/session';
import { isMfaFresh, StepUpForm } from '../components/step-up';
import { Alert, Button, Card, DataTable, formatDateTime, PageHeader, TextField } from '../components/ui';

/** The signed-in user's own account: password, passkeys, session facts. */
export function AccountScreen() {
  const me = useMe();
  if (!me.data) return null;
  return (
    <div className="flex max-w-3xl flex-col gap-6">
      <PageHeader
        title="My account"
        description={`${me.data.username} · ${me.data.roles.map(roleLabel).join(', ')}`}
      />
      {me.data.passwordChangeRequired && (
        <Alert kind="info">
          Choose a new password before you continue: your current one was set by an administrator.
        </Alert>
      )}
      <ChangePassword />
      {!me.data.passwordChangeRequired && <Passkeys />}
      <Card title="Session">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium">Teams</dt>
          <dd>{me.data.teams.length > 0 ? me.data.teams.join(', ') : '—'}</dd>
          <dt className="font-medium">Region</dt>
          <dd>{me.data.region}</dd>
          <dt className="font-medium">Last MFA</dt>
          <dd>{formatDateTime(me.data.mfaAt)}</dd>
        </dl>
      </Card>
    </div>
  );
}

function ChangePassword() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== confirm) {
      setMessage({ kind: 'error', text: 'The new password and its confirmation differ.' });
      return;
    }
    try {
      await expectOk(
        api.POST('/v1/auth/password', { body: { currentPassword: current, newPassword: next } }),
      );
      setCurrent('');
      setNext('');
      setConfirm('');
      setMessage({ kind: 'success', text: 'Password changed. Your other sessions were signed out.' });
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
    } catch (err) {
      setMessage({ kind: 'error', text: messageOf(err) });
    }
  };
  return (
    <Card title="Password">
      <form onSubmit={submit} className="flex max-w-sm flex-col gap-3">
        {message && <Alert kind={message.kind}>{message.text}</Alert>}
        <TextField
          label="Current password"
          type="password"
          value={current}
          onChange={setCurrent}
          autoComplete="current-password"
          required
        />
        <TextField
          label="New password"
          type="password"
          value={next}
          onChange={setNext}
          autoComplete="new-password"
          hint="At least 12 characters; common and breached passwords are refused."
          required
        />
        <TextField
          label="Confirm new password"
          type="password"
          value={confirm}
          onChange={setConfirm}
          autoComplete="new-password"
          required
        />
        <Button type="submit">Change password</Button>
      </form>
    </Card>
  );
}

const PASSKEYS_KEY = ['passkeys'] as const;

function Passkeys() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const list = useQuery({ queryKey: PASSKEYS_KEY, queryFn: () => unwrap(api.GET('/v1/auth/passkeys')) });
  const register = useMutation({
    mutationFn: async () => {
      const options = await unwrap(api.POST('/v1/auth/passkeys/registration/options'));
      let response: Awaited<ReturnType<typeof startRegistration>>;
      try {
        response = await startRegistration({ optionsJSON: options as never });
      } catch (e) {
        throw new Error(
          e instanceof Error && (e.name === 'NotAllowedError' || e.name === 'WebAuthnError')
            ? 'Your device did not create the passkey (cancelled, or it could not verify you).'
            : messageOf(e),
        );
      }
      return unwrap(
        api.POST('/v1/auth/passkeys/registration/verify', {
          body: { response: response as never, ...(name.trim() ? { name: name.trim() } : {}) },
        }),
      );
    },
    onSuccess: async (created) => {
      setName('');
      setMessage({ kind: 'success', text: `Passkey “${created.name}” added.` });
      await queryClient.invalidateQueries({ queryKey: PASSKEYS_KEY });
    },
    onError: (e) => setMessage({ kind: 'error', text: messageOf(e) }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => expectOk(api.DELETE('/v1/auth/passkeys/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: PASSKEYS_KEY }),
    onError: (e) => setMessage({ kind: 'error', text: messageOf(e) }),
  });
  const fresh = isMfaFresh(me.data);
  return (
    <Card title="Passkeys">
      <p className="mb-3 text-sm text-slate-700">
        A passkey signs you in with your device's screen lock or security key instead of a password and code.
      </p>
      {message && (
        <div className="mb-3">
          <Alert kind={message.kind}>{message.text}</Alert>
        </div>
      )}
      {list.isError && <Alert>{messageOf(list.error)}</Alert>}
      <DataTable
        caption="Your passkeys"
        rows={list.data?.items ?? []}
        rowKey={(p) => p.id}
        empty="No passkeys yet."
        columns={[
          { header: 'Name', cell: (p) => p.name },
          { header: 'Added', cell: (p) => formatDateTime(p.createdAt) },
          { header: 'Last used', cell: (p) => formatDateTime(p.lastUsedAt) },
          {
            header: 'Actions',
            cell: (p) => (
              <Button
                variant="secondary"
                disabled={!fresh}
                onClick={() => remove.mutate(p.id)}
                aria-label={`Remove passkey ${p.name}`}
              >
                Remove
              </Button>
            ),
          },
        ]}
      />
      <div className="mt-4">
        {fresh ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              register.mutate();
            }}
            className="flex max-w-sm flex-col gap-3"
          >
            <TextField
              label="Passkey name"
              value={name}
              onChange={setName}
              maxLength={64}
              hint="Optional, e.g. “Work laptop”"
            />
            <Button type="submit" disabled={register.isPending}>
              Add a passkey
            </Button>
          </form>
        ) : (
          <StepUpForm reason="Adding or removing a passkey needs a recent sign-in check. Enter a code from your authenticator app." />
        )}
      </div>
    </Card>
  );
}
