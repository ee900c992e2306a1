/** Injectable time source so expiry rules can be tested without sleeping. */
export type Clock = { now: () => Date };
export const systemClock: Clock = { now: () => new Date() };
