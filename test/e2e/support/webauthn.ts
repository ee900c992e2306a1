/**
 * Chromium's virtual authenticator (DevTools Protocol WebAuthn domain): a platform passkey
 * authenticator with user verification, attached to one page.
 *
 * @example
 * const authenticator = await addVirtualAuthenticator(page);            // UV succeeds
 * // … register and use passkeys through the console …
 * await authenticator.setUserVerified(false);                          // the next UV fails
 */
import type { CDPSession, Page } from 'playwright-core';

export type VirtualAuthenticator = {
  id: string;
  cdp: CDPSession;
  /** Whether the next user verification (fingerprint, PIN) succeeds. */
  setUserVerified: (verified: boolean) => Promise<void>;
  /** Credentials the authenticator holds (resident keys included). */
  credentials: () => Promise<
    Array<{ credentialId: string; rpId?: string; userHandle?: string; signCount: number }>
  >;
  remove: () => Promise<void>;
};

/**
 * Adds a CTAP2 internal (platform) authenticator with resident keys and user verification to the
 * page. Presence is simulated automatically; `isUserVerified` decides whether UV succeeds.
 */
export async function addVirtualAuthenticator(
  page: Page,
  options: { isUserVerified?: boolean } = {},
): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    setUserVerified: async (isUserVerified) => {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    remove: async () => {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
