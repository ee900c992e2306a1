import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { api, expectOk, messageOf, ProblemError, type paths, unwrap } from '../api/client';
import { roleLabel } from '../app/layout';
import { useMe } from '../app/session';
import { ConfirmDialog } from '../components/confirm-dialog';
import {
  Alert,
  Badge,
  Button,
  Card,
  DataTable,
  formatDateTime,
  PageHeader,
  SelectField,
  TextField,
} from '../components/ui';

type UserView = paths['/v1/users']['get']['responses'][200]['content']['application/json']['data'][number];
type Role = UserView['roles'][number];

/** The roles the API knows, in the order the design lists them. */
const ROLES: readonly Role[] = [
  'agent',
  'supervisor',
  'wfm_analyst',
  'wfm_manager',
  'it_admin',
  'executive',
  'qa_analyst',
  'compliance_officer',
  'security_analyst',
];

const USERS_KEY = ['users'] as const;
const PAGE_SIZE = 50;

type Feedback = { kind: 'error' | 'success'; text: string } | null;

/** Users and roles (it_admin): list, create, change roles/teams/status, unlock, revoke sessions, reset MFA. */
export function UsersScreen() {
  const [team, setTeam] = useState('');
  const [filter, setFilter] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  const list = useInfiniteQuery({
    queryKey: [...USERS_KEY, { team }],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/users', {
          params: { query: { limit: PAGE_SIZE, cursor: pageParam, team: team || undefined } },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const users = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  // Teams seen so far offer the server-side team filter (it takes a team id).
  const [knownTeams, setKnownTeams] = useState<Map<string, string>>(new Map());
  const teamsHere = useMemo(() => {
    const next = new Map(knownTeams);
    for (const u of users) for (const t of u.teams) next.set(t.id, t.name);
    return next;
  }, [users, knownTeams]);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? users.filter((u) => u.username.toLowerCase().includes(needle)) : users;
  const selected = users.find((u) => u.id === editing) ?? null;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Users and roles"
        description="Create accounts, assign roles and teams, and help people who are locked out. Every change is recorded in the audit log."
      />
      {feedback && <Alert kind={feedback.kind}>{feedback.text}</Alert>}
      <CreateUser />
      <section aria-labelledby="users-list-heading" className="flex flex-col gap-3">
        <h2 id="users-list-heading" className="text-lg font-semibold text-slate-900">
          Accounts
        </h2>
        <div className="flex flex-wrap items-end gap-4">
          <TextField label="Filter by username" value={filter} onChange={setFilter} />
          <SelectField
            label="Team"
            value={team}
            onChange={(v) => {
              setKnownTeams(teamsHere);
              setTeam(v);
            }}
            options={[
              { value: '', label: 'All teams' },
              ...[...teamsHere].map(([id, name]) => ({ value: id, label: name })),
            ]}
          />
        </div>
        {list.isError && <Alert>{messageOf(list.error)}</Alert>}
        {list.isPending ? (
          <p role="status" className="text-sm text-slate-700">
            Loading users…
          </p>
        ) : (
          <DataTable<UserView>
            caption="User accounts"
            rows={shown}
            rowKey={(u) => u.id}
            empty={needle ? 'No loaded user matches the filter.' : 'No users.'}
            columns={[
              { header: 'Username', cell: (u) => <span className="font-medium">{u.username}</span> },
              { header: 'Roles', cell: (u) => u.roles.map(roleLabel).join(', ') },
              {
                header: 'Teams',
                cell: (u) => (u.teams.length ? u.teams.map((t) => t.name).join(', ') : '—'),
              },
              { header: 'Region', cell: (u) => u.region },
              { header: 'Status', cell: (u) => <StatusBadge user={u} /> },
              {
                header: 'MFA',
                cell: (u) =>
                  u.mfaEnrolled ? (
                    <Badge tone="good">enrolled</Badge>
                  ) : (
                    <Badge tone="warn">not enrolled</Badge>
                  ),
              },
              {
                header: 'Detokenize',
                cell: (u) => (u.permissions.includes('detokenize') ? 'yes' : 'no'),
              },
              { header: 'Created', cell: (u) => formatDateTime(u.createdAt) },
              {
                header: 'Actions',
                cell: (u) => (
                  <Button
                    variant="secondary"
                    onClick={() => {
                      setFeedback(null);
                      setEditing(editing === u.id ? null : u.id);
                    }}
                    aria-expanded={editing === u.id}
                    aria-label={`Manage ${u.username}`}
                  >
                    Manage
                  </Button>
                ),
              },
            ]}
          />
        )}
        {list.hasNextPage && (
          <div>
            <Button
              variant="secondary"
              onClick={() => void list.fetchNextPage()}
              disabled={list.isFetchingNextPage}
            >
              {list.isFetchingNextPage ? 'Loading…' : 'Load more users'}
            </Button>
          </div>
        )}
        <p className="text-xs text-slate-700">
          The API does not report last sign-in times; see the audit log (action auth.login) for them.
        </p>
      </section>
      {selected && (
        <ManageUser key={selected.id} user={selected} onDone={setFeedback} onClose={() => setEditing(null)} />
      )}
    </div>
  );
}

function userState(u: UserView): 'disabled' | 'locked' | 'active' {
  if (u.status === 'disabled') return 'disabled';
  if (u.lockedUntil) return 'locked';
  return 'active';
}

function StatusBadge({ user }: { user: UserView }) {
  const state = userState(user);
  return (
    <span className="flex flex-col items-start gap-1">
      <Badge tone={state === 'active' ? 'good' : 'bad'}>{state}</Badge>
      {state === 'locked' && user.lockedUntil && (
        <span className="text-xs text-slate-700">until {formatDateTime(user.lockedUntil)}</span>
      )}
      {user.mustChangePassword && <span className="text-xs text-slate-700">must change password</span>}
    </span>
  );
}

/** Roles as checkboxes in a fieldset: each checkbox labelled, the group named by its legend. */
function RolesFieldset({
  legend,
  value,
  onChange,
}: {
  legend: string;
  value: readonly Role[];
  onChange: (roles: Role[]) => void;
}) {
  const id = useId();
  return (
    <fieldset className="rounded-md border border-slate-300 p-3">
      <legend className="px-1 text-sm font-medium text-slate-800">{legend}</legend>
      <div className="grid grid-cols-1 gap-1 sm:grid-cols-3">
        {ROLES.map((r) => (
          <label key={r} htmlFor={`${id}-${r}`} className="flex items-center gap-2 text-sm text-slate-900">
            <input
              id={`${id}-${r}`}
              type="checkbox"
              checked={value.includes(r)}
              onChange={(e) => onChange(e.target.checked ? [...value, r] : value.filter((x) => x !== r))}
            />
            {roleLabel(r)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

const parseTeams = (s: string) => [...new Set(s.split(',').map((t) => t.trim()))].filter((t) => t.length > 0);

// No look-alike characters, so the password can be read out or typed from a screen.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random initial password (about 128 bits) in groups of four, made in the browser from its CSPRNG. */
export function generatePassword(): string {
  const groups: string[] = [];
  const bytes = new Uint8Array(64);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) {
    if (b >= 256 - (256 % ALPHABET.length)) continue; // no modulo bias
    out += ALPHABET[b % ALPHABET.length];
    if (out.length === 24) break;
  }
  for (let i = 0; i < out.length; i += 4) groups.push(out.slice(i, i + 4));
  return groups.join('-');
}

function CreateUser() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [teams, setTeams] = useState('');
  const [region, setRegion] = useState(me.data?.region ?? '');
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ username: string; password: string } | null>(null);
  const create = useMutation({
    mutationFn: async () => {
      // A random password can, rarely, contain part of the username; a fresh one is tried then.
      for (let attempt = 0; ; attempt++) {
        const password = generatePassword();
        try {
          const user = await unwrap(
            api.POST('/v1/users', {
              body: {
                username: username.trim(),
                roles,
                teams: parseTeams(teams),
                region: region.trim(),
                password,
              },
            }),
          );
          return { username: user.username, password };
        } catch (e) {
          const aboutPassword = e instanceof ProblemError && /password/i.test(e.userMessage);
          if (!aboutPassword || attempt >= 2) throw e;
        }
      }
    },
    onSuccess: async (result) => {
      setCreated(result);
      setUsername('');
      setRoles([]);
      setTeams('');
      await queryClient.invalidateQueries({ queryKey: USERS_KEY });
    },
    onError: (e) => setError(messageOf(e)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setCreated(null);
    if (roles.length === 0) {
      setError('Choose at least one role.');
      return;
    }
    create.mutate();
  };
  return (
    <Card title="Create a user">
      {created && <InitialPassword {...created} onDismiss={() => setCreated(null)} />}
      <form onSubmit={submit} className="flex max-w-2xl flex-col gap-3">
        {error && <Alert>{error}</Alert>}
        <TextField
          label="Username"
          value={username}
          onChange={setUsername}
          autoComplete="off"
          hint="Lower-case letters, digits, dot, dash or underscore; 2 to 63 characters."
          required
        />
        <RolesFieldset legend="Roles" value={roles} onChange={setRoles} />
        <TextField
          label="Teams"
          value={teams}
          onChange={setTeams}
          hint="Team names separated by commas; a team that does not exist yet is created."
        />
        <TextField label="Region" value={region} onChange={setRegion} required />
        <div>
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create user'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** The generated password, shown once: it is not kept anywhere after this panel is dismissed. */
function InitialPassword({
  username,
  password,
  onDismiss,
}: {
  username: string;
  password: string;
  onDismiss: () => void;
}) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Copying was refused by the browser: select the password and copy it by hand.');
    }
  };
  return (
    <div
      role="status"
      className="mb-4 rounded-md border border-green-300 bg-green-50 p-4 text-sm text-green-950"
    >
      <p className="font-medium">User {username} created.</p>
      <p className="mt-1">
        Initial password (shown only this once; {username} must change it at first sign-in and then enrol
        MFA):
      </p>
      <p className="mt-2 flex flex-wrap items-center gap-2">
        <code
          data-testid="initial-password"
          className="rounded bg-white px-2 py-1 font-mono text-base text-slate-900"
        >
          {password}
        </code>
        <Button variant="secondary" onClick={() => void copy()}>
          Copy password
        </Button>
        <Button variant="secondary" onClick={onDismiss}>
          Done
        </Button>
      </p>
      {copied && <p className="mt-1">{copied}</p>}
    </div>
  );
}

type Pending = 'unlock' | 'revoke' | 'reset-mfa' | 'disable' | null;

function ManageUser({
  user,
  onDone,
  onClose,
}: {
  user: UserView;
  onDone: (f: Feedback) => void;
  onClose: () => void;
}) {
  const me = useMe();
  const queryClient = useQueryClient();
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const [teams, setTeams] = useState(user.teams.map((t) => t.name).join(', '));
  const [status, setStatus] = useState<UserView['status']>(user.status);
  const [detokenize, setDetokenize] = useState(user.permissions.includes('detokenize'));
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const self = me.data?.id === user.id;
  const detokenizeId = useId();

  const refresh = () => queryClient.invalidateQueries({ queryKey: USERS_KEY });
  const run = useMutation({
    mutationFn: async (action: Exclude<Pending, null> | 'save'): Promise<string> => {
      const path = { params: { path: { id: user.id } } };
      switch (action) {
        case 'save':
        case 'disable': {
          await unwrap(
            api.PATCH('/v1/users/{id}', {
              ...path,
              body: {
                roles,
                teams: parseTeams(teams),
                status: action === 'disable' ? 'disabled' : status,
                permissions: detokenize ? ['detokenize'] : [],
              },
            }),
          );
          return action === 'disable'
            ? `${user.username} is disabled and was signed out.`
            : `Saved changes to ${user.username}.`;
        }
        case 'unlock':
          await expectOk(api.POST('/v1/users/{id}/unlock', path));
          return `${user.username} is unlocked.`;
        case 'revoke': {
          const r = await unwrap(api.POST('/v1/users/{id}/revoke-sessions', path));
          return `Signed ${user.username} out of ${r.revoked} session${r.revoked === 1 ? '' : 's'}.`;
        }
        case 'reset-mfa': {
          const r = await unwrap(api.POST('/v1/users/{id}/reset-mfa', path));
          return (
            `MFA reset for ${user.username}: they enrol again at next sign-in ` +
            `(${r.revokedSessions} session${r.revokedSessions === 1 ? '' : 's'} ended, ` +
            `${r.removedPasskeys} passkey${r.removedPasskeys === 1 ? '' : 's'} and ` +
            `${r.removedRecoveryCodes} recovery code${r.removedRecoveryCodes === 1 ? '' : 's'} removed).`
          );
        }
      }
    },
    onSuccess: async (text) => {
      setPending(null);
      setError(null);
      onDone({ kind: 'success', text });
      await refresh();
    },
    onError: (e) => {
      setPending(null);
      setError(messageOf(e));
    },
  });

  const save = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (roles.length === 0) {
      setError('Choose at least one role.');
      return;
    }
    // Disabling signs the person out everywhere: ask first.
    if (status === 'disabled' && user.status !== 'disabled') setPending('disable');
    else run.mutate('save');
  };

  const confirmations: Record<Exclude<Pending, null>, { title: string; body: string; label: string }> = {
    unlock: {
      title: `Unlock ${user.username}?`,
      body: 'Their failed sign-in count is cleared and they can try to sign in again straight away.',
      label: 'Unlock',
    },
    revoke: {
      title: `Sign ${user.username} out everywhere?`,
      body: 'Every active session of this user ends now; they must sign in again.',
      label: 'Revoke sessions',
    },
    'reset-mfa': {
      title: `Reset MFA for ${user.username}?`,
      body: 'Their authenticator app, recovery codes and passkeys stop working and they are signed out. At next sign-in they enrol a new authenticator. Do this only after confirming who is asking.',
      label: 'Reset MFA',
    },
    disable: {
      title: `Disable ${user.username}?`,
      body: 'They can no longer sign in and every session they have ends now.',
      label: 'Disable account',
    },
  };
  const confirm = pending ? confirmations[pending] : null;

  return (
    <Card title={`Manage ${user.username}`}>
      <div className="flex flex-col gap-4">
        {error && <Alert>{error}</Alert>}
        <form onSubmit={save} className="flex max-w-2xl flex-col gap-3">
          <RolesFieldset legend={`Roles of ${user.username}`} value={roles} onChange={setRoles} />
          <TextField
            label="Teams"
            value={teams}
            onChange={setTeams}
            hint="Team names separated by commas; replaces the current teams."
          />
          <SelectField
            label="Account status"
            value={status}
            onChange={(v) => setStatus(v as UserView['status'])}
            options={[
              { value: 'active', label: 'Active' },
              { value: 'disabled', label: 'Disabled (cannot sign in)' },
            ]}
          />
          <div className="flex items-center gap-2">
            <input
              id={detokenizeId}
              type="checkbox"
              checked={detokenize}
              onChange={(e) => setDetokenize(e.target.checked)}
              aria-describedby={`${detokenizeId}-hint`}
            />
            <label htmlFor={detokenizeId} className="text-sm text-slate-900">
              May detokenize
            </label>
            <span id={`${detokenizeId}-hint`} className="text-xs text-slate-700">
              (reveal tokenized values, with a purpose and a fresh MFA check)
            </span>
          </div>
          <div className="flex gap-2">
            <Button type="submit" disabled={run.isPending}>
              Save changes
            </Button>
            <Button variant="secondary" onClick={onClose}>
              Close
            </Button>
          </div>
        </form>
        <div className="flex flex-col gap-2 border-t border-slate-200 pt-4">
          <h3 className="text-sm font-semibold text-slate-900">Account recovery</h3>
          <div className="flex flex-wrap gap-2">
            {user.lockedUntil && (
              <Button variant="secondary" onClick={() => setPending('unlock')}>
                Unlock
              </Button>
            )}
            <Button variant="danger" onClick={() => setPending('revoke')}>
              Revoke sessions
            </Button>
            {!self && (
              <Button variant="danger" onClick={() => setPending('reset-mfa')}>
                Reset MFA
              </Button>
            )}
          </div>
          {self && (
            <p className="text-xs text-slate-700">
              This is your own account: you cannot reset your own MFA (another IT administrator, or an
              operator with bulwark users reset-mfa, must do it). Revoking your sessions signs you out too.
            </p>
          )}
        </div>
      </div>
      <ConfirmDialog
        open={confirm !== null}
        title={confirm?.title ?? ''}
        confirmLabel={confirm?.label ?? ''}
        busy={run.isPending}
        onCancel={() => setPending(null)}
        onConfirm={() => pending && run.mutate(pending)}
      >
        {confirm?.body}
      </ConfirmDialog>
    </Card>
  );
}
