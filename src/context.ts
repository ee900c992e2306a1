import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config/config.ts';
import { type DatabaseHandle, openDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { createJobQueue, type JobQueue } from './jobs/jobs.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { type Keyring, KeyringError, MASTER_KEY_FILE, openKeyring } from './lib/keyring.ts';
import { type Authorizer, createAuthorizer, DEFAULT_POLICY_DIR } from './modules/access/authorizer.ts';
import { type AuditService, createAuditService } from './modules/audit/audit.service.ts';
import { createDsarService, type DsarService } from './modules/gdpr/dsar.service.ts';
import {
  createProcessingRecordService,
  type ProcessingRecordService,
} from './modules/gdpr/processing-record.ts';
import { type AuthService, createAuthService } from './modules/identity/auth.service.ts';
import { createPasskeysService, type PasskeysService } from './modules/identity/passkeys.service.ts';
import { createDataKeysService, type DataKeysService } from './modules/keys/data-keys.service.ts';
import type { KeyProvider } from './modules/keys/key-provider.ts';
import { openLocalKeystore } from './modules/keys/local-keystore.ts';
import { openPkcs11Provider } from './modules/keys/pkcs11-provider.ts';
import { type BlobStore, createFsBlobStore } from './modules/recordings/blob-store.ts';
import { type CasesService, createCasesService } from './modules/recordings/cases.service.ts';
import {
  createRecordingContentService,
  type RecordingContentService,
} from './modules/recordings/recording-content.service.ts';
import { createRecordingsService, type RecordingsService } from './modules/recordings/recordings.service.ts';
import { createRetentionService, type RetentionService } from './modules/recordings/retention.service.ts';
import { createTenantsService, type TenantsService } from './modules/tenants/tenants.service.ts';
import { createTokensService, type TokensService } from './modules/tokens/tokens.service.ts';
import { createTransfersService, type TransfersService } from './modules/transfers/transfers.service.ts';
import { createUsersService, type UsersService } from './modules/users/users.service.ts';
import { createWfmService, type WfmService } from './modules/wfm/wfm.service.ts';
import {
  createWfmRetentionService,
  loadRetentionSettings,
  type WfmRetentionService,
} from './modules/wfm/wfm-retention.ts';

/** Everything a server, a CLI command or a test needs, wired by hand (no container). */
export type AppContext = {
  config: Config;
  database: DatabaseHandle;
  keyring: Keyring;
  clock: Clock;
  authorizer: Authorizer;
  audit: AuditService;
  tenants: TenantsService;
  users: UsersService;
  auth: AuthService;
  passkeys: PasskeysService;
  tokens: TokensService;
  /** KEK provider of the recording vault (local keystore in the key dir, or a PKCS#11 HSM). */
  keyProvider: KeyProvider;
  dataKeys: DataKeysService;
  blobs: BlobStore;
  recordings: RecordingsService;
  /** Transcripts (redacted before storage) and redacted audio derivatives. */
  recordingContent: RecordingContentService;
  cases: CasesService;
  retention: RetentionService;
  /** Workforce-management data: import and scoped reads. */
  wfm: WfmService;
  /** WFM retention settings, leavers and the retention run (raw events, intervals, pseudonymisation). */
  wfmRetention: WfmRetentionService;
  /** Cross-border transfer mechanisms per region pair. */
  transfers: TransfersService;
  /** GDPR access requests and exports of a person's data. */
  dsar: DsarService;
  /** Record of processing activities (Art. 30): defaults in code, tenant edits in the database. */
  processing: ProcessingRecordService;
  jobs: JobQueue;
  /** Closes the database and releases the key provider (PKCS#11 sessions). */
  close: () => Promise<void>;
};

export type ContextOptions = {
  /** Called when the sequencer finds a row it did not write (bad MAC); the server logs it loudly. */
  onAuditRowRejected?: (rowId: number, tenantId: string) => void;
  purpose: string;
  clock?: Clock;
  database?: DatabaseHandle;
  policyDir?: string;
};

/** Opens storage (taking the embedded lock), migrates, and builds the services. */
export async function createContext(config: Config, options: ContextOptions): Promise<AppContext> {
  // Policies and keys first: a broken policy file or an open key file stops start-up before any I/O on data.
  const authorizer = createAuthorizer({ policyDir: options.policyDir ?? DEFAULT_POLICY_DIR });
  const keyring = openKeyring(config.keyDir);
  const database =
    options.database ??
    (config.engine === 'postgres'
      ? await openDatabase({ engine: 'postgres', url: config.databaseUrl! })
      : await openDatabase({ engine: 'pglite', dataDir: config.dataDir, purpose: options.purpose }));
  let keyProvider: KeyProvider;
  try {
    await migrate(database.db);
    if (keyring.created) await refuseFreshKeyOnExistingData(database, config.keyDir);
    keyProvider = await openKeyProvider(config);
  } catch (e) {
    await database.close();
    throw e;
  }
  return wireServices(
    config,
    database,
    keyring,
    keyProvider,
    authorizer,
    options.clock ?? systemClock,
    options.onAuditRowRejected,
  );
}

/** Opens the configured KEK provider: the local keystore (created on first start) or a PKCS#11 token. */
export async function openKeyProvider(config: Config): Promise<KeyProvider> {
  const kek = config.recordings.kek;
  if (kek.provider === 'pkcs11')
    return openPkcs11Provider({ library: kek.library, tokenLabel: kek.tokenLabel, pin: kek.pin });
  return openLocalKeystore({ path: kek.file, ...(kek.passphrase ? { passphrase: kek.passphrase } : {}) });
}

/**
 * A new master key beside a store that already holds sealed audit rows means BULWARK_KEY_DIR points
 * at the wrong place: carrying on would make TOTP seeds unreadable and every seal invalid.
 */
async function refuseFreshKeyOnExistingData(database: DatabaseHandle, keyDir: string): Promise<void> {
  const row = await database.db.selectFrom('audit_events').select('id').limit(1).executeTakeFirst();
  if (!row) return;
  fs.rmSync(path.join(keyDir, MASTER_KEY_FILE), { force: true });
  throw new KeyringError(
    `No master key was found in ${keyDir}, but the database already holds data sealed with one. ` +
      'Set BULWARK_KEY_DIR to the directory that holds master.key (restore it from backup if it was lost).',
  );
}

export function wireServices(
  config: Config,
  database: DatabaseHandle,
  keyring: Keyring,
  keyProvider: KeyProvider,
  authorizer: Authorizer,
  clock: Clock,
  onRejected?: (rowId: number, tenantId: string) => void,
): AppContext {
  const db = database.db;
  const audit = createAuditService({
    db,
    keyring,
    clock,
    origin: config.audit.origin,
    witnessDir: config.keyDir,
    onRejected,
  });
  const tenants = createTenantsService({ db, audit });
  const users = createUsersService({ db, audit, clock, mfaRequired: config.mfaRequired });
  const auth = createAuthService({
    db,
    audit,
    tenants,
    keyring,
    clock,
    session: config.session,
    lockout: config.lockout,
    mfaRequired: config.mfaRequired,
    issuer: 'Bulwark',
  });
  const passkeys = createPasskeysService({ db, audit, tenants, auth, keyring, clock, rp: config.webauthn });
  const tokens = createTokensService({ db, keyring, audit, clock });
  const dataKeys = createDataKeysService({ db, provider: keyProvider, audit, clock });
  const blobs = createFsBlobStore(config.recordings.blobDir);
  const recordings = createRecordingsService({
    db,
    blobs,
    keys: dataKeys,
    audit,
    tokens,
    teams: users,
    clock,
    maxBytes: config.recordings.maxBytes,
  });
  const recordingContent = createRecordingContentService({
    db,
    blobs,
    keys: dataKeys,
    audit,
    clock,
    recordings,
  });
  const cases = createCasesService({ db, audit, clock });
  const retention = createRetentionService({ db, audit, clock, recordings });
  const transfers = createTransfersService({ db, audit, clock });
  const wfm = createWfmService({ db, keyring, audit, authorizer, teams: users, transfers, clock });
  const wfmRetention = createWfmRetentionService({ db, audit, keyring, clock });
  const dsar = createDsarService({ db, keyring, audit, clock });
  const processing = createProcessingRecordService({
    db,
    audit,
    clock,
    session: config.session,
    // The record of processing states the retention actually configured, not the defaults.
    wfmRetention: async (tenantId) => {
      const s = await loadRetentionSettings(db, tenantId);
      return {
        adherenceEventDays: s.captureRawEvents ? s.rawEventDays : null,
        adherenceIntervalDays: s.intervalDays,
        leaverPseudonymiseDays: s.leaverDays,
      };
    },
  });
  const jobs = createJobQueue({ db, clock });
  const close = async () => {
    try {
      await database.close();
    } finally {
      await keyProvider.close();
    }
  };
  return {
    config,
    database,
    keyring,
    clock,
    authorizer,
    audit,
    tenants,
    users,
    auth,
    passkeys,
    tokens,
    keyProvider,
    dataKeys,
    blobs,
    recordings,
    recordingContent,
    cases,
    retention,
    wfm,
    wfmRetention,
    transfers,
    dsar,
    processing,
    jobs,
    close,
  };
}
