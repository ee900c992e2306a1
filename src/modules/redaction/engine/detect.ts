/**
 * Entry points of the engine: find sensitive entities in a text and redact them under a policy.
 */
import { applyOperatorsText, type RedactionPolicy } from './mask.ts';
import { detectSpoken } from './spoken.ts';
import { detectStructured, type StructuredOptions } from './structured.ts';
import type { Finding } from './types.ts';

/**
 * Merges findings from several detectors. Where two overlap, the higher score names the entity and
 * the span grows to cover both: redaction must never leave part of a number behind.
 */
export function mergeFindings(...lists: Finding[][]): Finding[] {
  const out: Finding[] = [];
  // Two lists already in order (the usual case) are merged without sorting; on equal keys the
  // first list goes first, exactly as the stable sort of their concatenation would put them.
  const [a, b] = lists;
  if (lists.length === 2 && a && b && isOrdered(a) && isOrdered(b)) {
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && order(a[i]!, b[j]!) <= 0)) addMerged(out, a[i++]!);
      else addMerged(out, b[j++]!);
    }
    return out;
  }
  for (const f of lists.flat().sort(order)) addMerged(out, f);
  return out;
}

/**
 * Appends `f`, or widens the last finding when they overlap (the higher score names the type).
 * Module-level, not a closure: the tsx loader makes every closure creation costly.
 */
function addMerged(out: Finding[], f: Finding): void {
  const last = out[out.length - 1];
  if (last && f.start < last.end) {
    const winner = f.score > last.score ? f : last;
    out[out.length - 1] = { ...winner, start: Math.min(last.start, f.start), end: Math.max(last.end, f.end) };
  } else {
    // The detectors' findings are fresh objects of this call: kept as they are, not copied.
    out.push(f);
  }
}

/** Order of {@link mergeFindings}: by start, the longer first. */
const order = (a: Finding, b: Finding): number => a.start - b.start || b.end - a.end;

function isOrdered(list: Finding[]): boolean {
  for (let i = 1; i < list.length; i++) if (order(list[i - 1]!, list[i]!) > 0) return false;
  return true;
}

/** Options of {@link detect}; `minScore` drops weaker findings (default 0: keep every tier). */
export type DetectOptions = StructuredOptions & { minScore?: number };

/**
 * Finds sensitive entities in `text` (digit and text forms, and numbers spoken as words), sorted by
 * start, overlapping findings merged into one span.
 * @throws DetectionLimitError when the input is over `maxInputChars`; withhold the text
 * @example detect('my ssn is 536-90-4399')[0]?.type // 'US_SSN'
 */
export function detect(text: string, options: DetectOptions = {}): Finding[] {
  // Spoken first: its run limit refuses hostile digit floods before the structured pass spends time.
  const spoken = detectSpoken(text, options);
  const findings = mergeFindings(detectStructured(text, options), spoken);
  const min = options.minScore ?? 0;
  return min > 0 ? findings.filter((f) => f.score >= min) : findings;
}

/**
 * Detects and applies the policy (default: typed placeholders such as `[PAN]`).
 * @throws DetectionLimitError when the input is over `maxInputChars`; withhold the text
 * @example redactText('card 4111 1111 1111 1111').text // 'card [PAN]'
 */
export function redactText(
  text: string,
  policy?: RedactionPolicy,
  options?: DetectOptions,
): { text: string; findings: Finding[] } {
  const findings = detect(text, options);
  return { text: applyOperatorsText(text, findings, policy), findings };
}
