import type { Config } from './config/config.ts';
import { type DatabaseHandle, openDatabase } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { type Keyring, openKeyring } from './lib/keyring.ts';
import { type Authorizer, createAuthorizer, DEFAULT_POLICY_DIR } from './modules/access/authorizer.ts';
import { type AuditService, createAuditService } from './modules/audit/audit.service.ts';
import { type AuthService, createAuthService } from './modules/identity/auth.service.ts';
import { createTenantsService, type TenantsService } from './modules/tenants/tenants.service.ts';
import { createUsersService, type UsersService } from './modules/users/users.service.ts';

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
};

export type ContextOptions = {
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
  try {
    await migrate(database.db);
  } catch (e) {
    await database.close();
    throw e;
  }
  return wireServices(config, database, keyring, authorizer, options.clock ?? systemClock);
}

export function wireServices(
  config: Config,
  database: DatabaseHandle,
  keyring: Keyring,
  authorizer: Authorizer,
  clock: Clock,
): AppContext {
  const db = database.db;
  const audit = createAuditService({ db, keyring, clock, origin: config.audit.origin });
  const tenants = createTenantsService({ db });
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
  return { config, database, keyring, clock, authorizer, audit, tenants, users, auth };
}
