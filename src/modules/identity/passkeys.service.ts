import { randomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { Keyring } from '../../lib/keyring.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { TenantsService } from '../tenants/tenants.service.ts';
import type { AuthContext, AuthService, RequestMeta, SessionIssued } from './auth.service.ts';

type WebAuthnLib = typeof import('@simplewebauthn/server');
let webauthnLib: Promise<WebAuthnLib> | undefined;
/**
 * The WebAuthn library, loaded on first use: its dependency tree costs about 0.6 s to import, which
 * every CLI command and server start would otherwise pay whether or not a passkey is involved.
 */
const webauthn = (): Promise<WebAuthnLib> => {
  webauthnLib ??= import('@simplewebauthn/server');
  return webauthnLib;
};

/** How long a registration or sign-in challenge may be answered. */
const CHALLENGE_SECONDS = 5 * 60;
/** Managing passkeys needs an MFA (TOTP, recovery code or passkey) this recent. */
const FRESH_MFA_SECONDS = 15 * 60;
const MAX_PASSKEYS_PER_USER = 20;

export type PasskeyView = {
  id: string;
  name: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
};

type Deps = {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'append' | 'appendNow'>;
  tenants: Pick<TenantsService, 'findBySlug'>;
  auth: Pick<AuthService, 'signInSteps'>;
  keyring: Pick<Keyring, 'secretDigest'>;
  clock: Clock;
  rp: { rpId: string; rpName: string; origin: string };
};

/** The challenge a client answered, read from its clientDataJSON; undefined when malformed. */
function answeredChallenge(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const c = (parsed as { challenge?: unknown }).challenge;
    return typeof c === 'string' && /^[A-Za-z0-9_-]{16,200}$/.test(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** The user handle we register: the user id's bytes (no name, no e-mail: it is stored on the device). */
const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

/**
 * Passkeys (WebAuthn): registration by a signed-in user with a fresh MFA, and passwordless sign-in.
 * User verification is required at both steps, so a passkey sign-in is multi-factor and
 * phishing-resistant on its own (NIST SP 800-63B-4 §2.2, PCI DSS 8.4.2). Sign-in shares lockout,
 * failure counting and session issuance with password + TOTP (auth.service `signInSteps`).
 */
export function createPasskeysService(deps: Deps) {
  const { db, audit, tenants, clock, rp } = deps;
  const steps = deps.auth.signInSteps;

  const invalidChallenge = () =>
    new AppError('INVALID_CHALLENGE', 'The passkey challenge is invalid, used or expired. Start again.');
  const refused = () => new AppError('INVALID_CREDENTIALS', 'The passkey sign-in could not be verified.');

  function requireFreshMfa(auth: AuthContext) {
    if (clock.now().getTime() - auth.mfaAt.getTime() > FRESH_MFA_SECONDS * 1000) {
      throw new AppError('FORBIDDEN', 'Sign in again (with your second factor) to manage passkeys.', {
        details: { reason: 'MFA_NOT_FRESH', maxMfaAgeSeconds: FRESH_MFA_SECONDS },
      });
    }
  }

  /** Stores a new challenge (only its hash) and returns it base64url-encoded. */
  async function newChallenge(input: {
    tenantId: string;
    userId: string | null;
    sessionId: string | null;
    kind: 'registration' | 'authentication';
  }): Promise<string> {
    const challenge = randomBytes(32).toString('base64url');
    const now = clock.now();
    // Expired challenges of nobody in particular are cleared on the way, so the table stays small.
    await db.deleteFrom('webauthn_challenges').where('expires_at', '<', now).execute();
    await db
      .insertInto('webauthn_challenges')
      .values({
        id: newId(),
        tenant_id: input.tenantId,
        user_id: input.userId,
        session_id: input.sessionId,
        kind: input.kind,
        challenge_hash: sha256Hex(challenge),
        expires_at: new Date(now.getTime() + CHALLENGE_SECONDS * 1000),
      })
      .execute();
    return challenge;
  }

  /** Consumes a live challenge of this kind, whatever the outcome of the response that names it. */
  async function consumeChallenge(challenge: string, kind: 'registration' | 'authentication') {
    const now = clock.now();
    return db
      .updateTable('webauthn_challenges')
      .set({ consumed_at: now })
      .where('challenge_hash', '=', sha256Hex(challenge))
      .where('kind', '=', kind)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['tenant_id', 'user_id', 'session_id'])
      .executeTakeFirst();
  }

  const toView = (r: {
    id: string;
    name: string;
    device_type: 'singleDevice' | 'multiDevice';
    backed_up: boolean;
    transports: string[];
    created_at: Date;
    last_used_at: Date | null;
  }): PasskeyView => ({
    id: r.id,
    name: r.name,
    deviceType: r.device_type,
    backedUp: r.backed_up,
    transports: r.transports,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at ? r.last_used_at.toISOString() : null,
  });

  /** Options for navigator.credentials.create(): UV required, the user's passkeys excluded. */
  async function registrationOptions(auth: AuthContext): Promise<PublicKeyCredentialCreationOptionsJSON> {
    requireFreshMfa(auth);
    const existing = await db
      .selectFrom('webauthn_credentials')
      .select(['credential_id', 'transports'])
      .where('user_id', '=', auth.userId)
      .execute();
    const challenge = await newChallenge({
      tenantId: auth.tenantId,
      userId: auth.userId,
      sessionId: auth.sessionId,
      kind: 'registration',
    });
    return (await webauthn()).generateRegistrationOptions({
      rpName: rp.rpName,
      rpID: rp.rpId,
      userName: auth.username,
      userID: userHandleOf(auth.userId),
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    });
  }

  /** Verifies the authenticator's attestation ('none' accepted) and stores the public key. */
  async function registrationVerify(
    auth: AuthContext,
    input: { response: RegistrationResponseJSON; name?: string | undefined },
    meta: RequestMeta,
  ): Promise<PasskeyView> {
    requireFreshMfa(auth);
    const challenge = answeredChallenge(input.response.response.clientDataJSON);
    if (!challenge) throw invalidChallenge();
    const ch = await consumeChallenge(challenge, 'registration');
    // Bound to the user and the session that asked for it.
    if (!ch || ch.user_id !== auth.userId || ch.session_id !== auth.sessionId) throw invalidChallenge();
    const failed = async (reason: string): Promise<never> => {
      await audit.appendNow({
        tenantId: auth.tenantId,
        action: 'auth.passkey.register',
        outcome: 'failure',
        actor: { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: meta.ip },
        resource: { type: 'UserAccount', id: auth.userId },
        reason,
        requestId: meta.requestId,
      });
      throw new AppError('VALIDATION_FAILED', 'The passkey could not be verified.', {
        details: { errors: [{ pointer: '/response', message: reason }] },
      });
    };
    let verified: Awaited<ReturnType<WebAuthnLib['verifyRegistrationResponse']>>;
    try {
      verified = await (await webauthn()).verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpId,
        requireUserPresence: true,
        requireUserVerification: true,
      });
    } catch (e) {
      return failed(
        /user verification/i.test(String((e as Error).message)) ? 'uv_missing' : 'invalid_attestation',
      );
    }
    if (!verified.verified) return failed('invalid_attestation');
    const info = verified.registrationInfo;
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      const count = await trx
        .selectFrom('webauthn_credentials')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('user_id', '=', auth.userId)
        .executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_PASSKEYS_PER_USER)
        throw new AppError(
          'CONFLICT',
          `At most ${MAX_PASSKEYS_PER_USER} passkeys per user: remove one first.`,
        );
      const taken = await trx
        .selectFrom('webauthn_credentials')
        .select('id')
        .where('tenant_id', '=', auth.tenantId)
        .where('credential_id', '=', info.credential.id)
        .executeTakeFirst();
      if (taken) throw new AppError('CONFLICT', 'This passkey is already registered.');
      const row = await trx
        .insertInto('webauthn_credentials')
        .values({
          id: newId(),
          tenant_id: auth.tenantId,
          user_id: auth.userId,
          credential_id: info.credential.id,
          public_key: Buffer.from(info.credential.publicKey),
          counter: info.credential.counter,
          transports: input.response.response.transports ?? [],
          aaguid: info.aaguid,
          backed_up: info.credentialBackedUp,
          device_type: info.credentialDeviceType,
          name: input.name ?? 'Passkey',
          created_at: now,
        })
        .returning(['id', 'name', 'device_type', 'backed_up', 'transports', 'created_at', 'last_used_at'])
        .executeTakeFirstOrThrow();
      await audit.append(trx, {
        tenantId: auth.tenantId,
        action: 'auth.passkey.register',
        outcome: 'success',
        actor: { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: meta.ip },
        resource: { type: 'Passkey', id: row.id },
        requestId: meta.requestId,
        details: {
          aaguid: info.aaguid,
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          fmt: info.fmt,
        },
      });
      return toView(row);
    });
  }

  /** The caller's own passkeys. */
  async function list(auth: AuthContext): Promise<PasskeyView[]> {
    const rows = await db
      .selectFrom('webauthn_credentials')
      .select(['id', 'name', 'device_type', 'backed_up', 'transports', 'created_at', 'last_used_at'])
      .where('tenant_id', '=', auth.tenantId)
      .where('user_id', '=', auth.userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toView);
  }

  /** Removes one of the caller's own passkeys (fresh MFA); another user's id is simply not found. */
  async function remove(auth: AuthContext, id: string, meta: RequestMeta): Promise<void> {
    requireFreshMfa(auth);
    const notFound = () => new AppError('NOT_FOUND', 'No such passkey.');
    if (!isUuid(id)) throw notFound();
    await db.transaction().execute(async (trx) => {
      const r = await trx
        .deleteFrom('webauthn_credentials')
        .where('id', '=', id)
        .where('tenant_id', '=', auth.tenantId)
        .where('user_id', '=', auth.userId)
        .executeTakeFirst();
      if (Number(r.numDeletedRows) !== 1) throw notFound();
      await audit.append(trx, {
        tenantId: auth.tenantId,
        action: 'auth.passkey.delete',
        outcome: 'success',
        actor: { userId: auth.userId, roles: auth.roles, sessionId: auth.sessionId, ip: meta.ip },
        resource: { type: 'Passkey', id },
        requestId: meta.requestId,
      });
    });
  }

  /**
   * Options for navigator.credentials.get(). With a username: that user's passkeys (an unknown,
   * disabled or passkey-less name gets one stable made-up id, so names cannot be probed by
   * an empty list); without: a discoverable sign-in, the authenticator picks the account.
   */
  async function loginOptions(input: {
    username?: string | undefined;
    tenant?: string | undefined;
  }): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const tenant = await tenants.findBySlug(input.tenant ?? 'default');
    if (!tenant) throw new AppError('INVALID_CREDENTIALS', 'The passkey sign-in could not be verified.');
    let userId: string | null = null;
    let allowCredentials: { id: string; transports?: string[] }[] | undefined;
    if (input.username !== undefined) {
      const username = input.username.toLowerCase();
      const user = await db
        .selectFrom('users')
        .select(['id', 'status'])
        .where('tenant_id', '=', tenant.id)
        .where('username', '=', username)
        .executeTakeFirst();
      const creds =
        user && user.status === 'active'
          ? await db
              .selectFrom('webauthn_credentials')
              .select(['credential_id', 'transports'])
              .where('user_id', '=', user.id)
              .execute()
          : [];
      userId = user?.id ?? null;
      allowCredentials =
        creds.length > 0
          ? creds.map((c) => ({ id: c.credential_id, transports: c.transports }))
          : [
              {
                id: Buffer.from(
                  deps.keyring.secretDigest(tenant.id, 'webauthn-decoy', username).slice(0, 64),
                  'hex',
                ).toString('base64url'),
                transports: ['internal', 'hybrid'],
              },
            ];
    }
    const challenge = await newChallenge({
      tenantId: tenant.id,
      userId,
      sessionId: null,
      kind: 'authentication',
    });
    return (await webauthn()).generateAuthenticationOptions({
      rpID: rp.rpId,
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_SECONDS * 1000,
      userVerification: 'required',
      ...(allowCredentials ? { allowCredentials } : {}),
    });
  }

  /**
   * Completes a passwordless sign-in. The challenge is consumed first (single use, whatever the
   * outcome); then, as for the other factors, one attempt is reserved against the account
   * (locked accounts are refused before any verification), a failure counts toward lockout,
   * and a success resets the count and issues a session with mfa_at = now.
   */
  async function loginVerify(
    input: { response: AuthenticationResponseJSON },
    meta: RequestMeta,
  ): Promise<SessionIssued> {
    const { response } = input;
    const challenge = answeredChallenge(response.response.clientDataJSON);
    if (!challenge || response.id !== response.rawId) throw invalidChallenge();
    const ch = await consumeChallenge(challenge, 'authentication');
    if (!ch) throw invalidChallenge();
    const cred = await db
      .selectFrom('webauthn_credentials')
      .selectAll()
      .where('tenant_id', '=', ch.tenant_id)
      .where('credential_id', '=', response.id)
      .executeTakeFirst();
    if (!cred) {
      await steps.auditRefusal(ch.tenant_id, 'auth.passkey', ch.user_id, 'unknown_credential', meta);
      throw refused();
    }

    // The account this attempt is against: the one named at options time, else the passkey's owner.
    const target = ch.user_id ?? cred.user_id;
    const reservation = await steps.reserveAttempt(target, meta);
    if (reservation.locked) {
      await steps.auditRefusal(ch.tenant_id, 'auth.passkey', target, 'account_locked', meta);
      throw steps.lockedError(reservation.locked);
    }
    const fail = async (reason: string): Promise<never> => {
      const lockedUntil = await steps.recordFailure(target, ch.tenant_id, meta, 'auth.passkey', reason);
      if (lockedUntil) throw steps.lockedError(lockedUntil);
      throw refused();
    };
    // Another user's passkey never signs in as the user who was named.
    if (target !== cred.user_id) return fail('credential_of_another_user');
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(userHandleOf(cred.user_id)).toString('base64url'))
      return fail('user_handle_mismatch');

    const user = await db
      .selectFrom('users')
      .select(['id', 'tenant_id', 'status'])
      .where('id', '=', cred.user_id)
      .executeTakeFirstOrThrow();
    if (user.status !== 'active') {
      await steps.auditRefusal(user.tenant_id, 'auth.passkey', user.id, 'account_disabled', meta);
      throw refused();
    }

    const stored = Number(cred.counter);
    let info: Awaited<ReturnType<WebAuthnLib['verifyAuthenticationResponse']>>['authenticationInfo'];
    try {
      const v = await (await webauthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpId,
        requireUserVerification: true,
        // The counter is checked below, after the signature, so a regression is told apart and audited.
        credential: { id: cred.credential_id, publicKey: new Uint8Array(cred.public_key), counter: 0 },
      });
      if (!v.verified) return fail('passkey_invalid');
      info = v.authenticationInfo;
    } catch (e) {
      return fail(
        /user verification/i.test(String((e as Error).message)) ? 'passkey_uv_missing' : 'passkey_invalid',
      );
    }
    if (!info.userVerified) return fail('passkey_uv_missing');

    const cloned = async (received: number): Promise<never> => {
      await audit.appendNow({
        tenantId: user.tenant_id,
        action: 'auth.passkey.clone_suspected',
        outcome: 'failure',
        actor: { userId: null, ip: meta.ip },
        resource: { type: 'Passkey', id: cred.id },
        reason: 'signature_counter_not_increasing',
        requestId: meta.requestId,
        details: { user: user.id, storedCounter: stored, receivedCounter: received },
      });
      return fail('counter_regressed');
    };
    // A counter that does not increase means two authenticators hold this key: refuse.
    if ((info.newCounter > 0 || stored > 0) && info.newCounter <= stored) return cloned(info.newCounter);

    const now = clock.now();
    const result = await db.transaction().execute(async (trx) => {
      // Compare-and-set: of two parallel assertions with one counter value only one wins.
      const moved = await trx
        .updateTable('webauthn_credentials')
        .set({ counter: info.newCounter, last_used_at: now, backed_up: info.credentialBackedUp })
        .where('id', '=', cred.id)
        .where('counter', '=', stored)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return null;
      await trx.updateTable('users').set({ failed_attempts: 0 }).where('id', '=', user.id).execute();
      await audit.append(trx, {
        tenantId: user.tenant_id,
        action: 'auth.passkey',
        outcome: 'success',
        actor: { userId: user.id, ip: meta.ip },
        resource: { type: 'Passkey', id: cred.id },
        requestId: meta.requestId,
        details: { userVerified: info.userVerified, discoverable: ch.user_id === null },
      });
      return steps.issueSession(trx, user.id, user.tenant_id, meta, 'passkey');
    });
    if (!result) return cloned(info.newCounter);
    return result;
  }

  return { registrationOptions, registrationVerify, list, remove, loginOptions, loginVerify };
}

export type PasskeysService = ReturnType<typeof createPasskeysService>;
