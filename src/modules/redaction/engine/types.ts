/**
 * Shared types of the sensitive-data engine. The engine is a pure library: it imports nothing from
 * the server (no database, no HTTP), so the CLI and other programs can use it alone.
 */

/** Entity types, with our names (issue 3). */
export const ENTITY_TYPES = [
  'PAN',
  'CVV',
  'CARD_EXPIRY',
  'US_SSN',
  'US_ITIN',
  'IBAN',
  'BANK_ACCOUNT',
  'ABA_ROUTING',
  'PHONE',
  'EMAIL',
  'DATE_OF_BIRTH',
  'IP_ADDRESS',
  'UK_NINO',
  'UK_NHS',
  'US_PASSPORT',
  'US_DRIVER_LICENSE',
  'POSTAL_ADDRESS',
  'HEALTH',
  'PERSON',
] as const;

export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * One detected entity. `start`/`end` are UTF-16 code-unit offsets into the input string
 * (`input.slice(start, end)` is the matched text), `score` is in [0, 1], and `rule` names the
 * detector that found it (e.g. `pan.digits.luhn`, `pan.spoken`, `iban.mod97`) so results are explainable.
 */
export type Finding = {
  type: EntityType;
  start: number;
  end: number;
  score: number;
  rule: string;
};

/** Thrown when an input breaks an engine limit; callers must withhold the text (fail closed). */
export class DetectionLimitError extends Error {
  override name = 'DetectionLimitError';
}
