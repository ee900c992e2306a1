import { describe, expect, it } from 'vitest';
import { AudioSpanError, parseSpansText, planSpans, validateSpans } from './audio-spans.ts';

describe('planSpans', () => {
  it('pads each span 250 ms, merges neighbours closer than 500 ms, and sorts', () => {
    expect(
      planSpans([
        { start: 5, end: 6 },
        { start: 1, end: 2 },
        { start: 2.6, end: 3 },
      ]),
    ).toEqual([
      { start: 0.75, end: 3.25 },
      { start: 4.75, end: 6.25 },
    ]);
  });

  it('keeps spans apart when the padded gap is exactly the merge gap or more', () => {
    expect(
      planSpans(
        [
          { start: 1, end: 2 },
          { start: 3, end: 4 },
        ],
        { padMs: 250, mergeGapMs: 500 },
      ),
    ).toHaveLength(2);
    expect(
      planSpans(
        [
          { start: 1, end: 2 },
          { start: 3, end: 4 },
        ],
        { padMs: 250, mergeGapMs: 501 },
      ),
    ).toHaveLength(1);
  });

  it('takes padding and merge gap as options, including none', () => {
    expect(planSpans([{ start: 1, end: 2 }], { padMs: 0 })).toEqual([{ start: 1, end: 2 }]);
    expect(
      planSpans(
        [
          { start: 1, end: 2 },
          { start: 2.1, end: 3 },
        ],
        { padMs: 0, mergeGapMs: 0 },
      ),
    ).toHaveLength(2);
    expect(() => planSpans([], { padMs: -1 })).toThrow(/padding must be a non-negative/);
    expect(() => planSpans([], { mergeGapMs: Number.NaN })).toThrow(/merge gap must be a non-negative/);
  });

  it('clamps to zero and to the duration, dropping spans past the end', () => {
    expect(
      planSpans(
        [
          { start: 0.1, end: 0.2 },
          { start: 9.9, end: 12 },
          { start: 20, end: 21 },
        ],
        { durationSeconds: 10 },
      ),
    ).toEqual([
      { start: 0, end: 0.45 },
      { start: 9.65, end: 10 },
    ]);
  });

  it('refuses negative, non-numeric, infinite and reversed spans, naming which', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ start: -1, end: 2 }, /span 1: negative time/],
      [{ start: Number.NaN, end: 2 }, /span 1: start and end must be finite/],
      [{ start: 1, end: Number.POSITIVE_INFINITY }, /must be finite/],
      [{ start: 3, end: 2 }, /span 1: start 3 is after end 2/],
      [{ start: '1', end: 2 }, /must be numbers/],
      [[1, 2], /not an object/],
      [null, /not an object/],
    ];
    for (const [span, message] of bad) {
      expect(() => validateSpans([span])).toThrow(AudioSpanError);
      expect(() => planSpans([span])).toThrow(message);
    }
    expect(() =>
      validateSpans([
        { start: 1, end: 2 },
        { start: 5, end: 4 },
      ]),
    ).toThrow(/^span 2:/);
  });
});

describe('parseSpansText', () => {
  it('reads a JSON array of {start, end}', () => {
    expect(parseSpansText(' [{"start":1,"end":2.5}]\n', 'spans.json')).toEqual({
      source: 'json',
      spans: [{ start: 1, end: 2.5 }],
    });
  });

  it('reads the silence spans of a redacted transcript, skipping lines without any', () => {
    const jsonl = [
      '{"call_id":"c","speaker":"agent","start":0,"end":3,"text":"hello"}',
      '',
      '{"call_id":"c","speaker":"customer","start":8.5,"end":12.9,"text":"[PAN]","silence":[{"start":8.75,"end":13.15}]}',
      '{"call_id":"c","speaker":"customer","start":14,"end":15,"text":"[CVV]","silence":[{"start":13.75,"end":15.25},{"start":16,"end":17}]}',
    ].join('\n');
    expect(parseSpansText(jsonl, 'call.redacted.jsonl')).toEqual({
      source: 'transcript',
      spans: [
        { start: 8.75, end: 13.15 },
        { start: 13.75, end: 15.25 },
        { start: 16, end: 17 },
      ],
    });
  });

  it('names the file, line and reason for bad input', () => {
    expect(() => parseSpansText('[{"start":1,"end":0}]', 's.json')).toThrow(
      's.json: span 1: start 1 is after end 0',
    );
    expect(() => parseSpansText('[{"start":1', 's.json')).toThrow(/^s\.json: not valid JSON/);
    expect(() => parseSpansText('{"a":1}\nnot json', 't.jsonl')).toThrow(/^t\.jsonl: line 2 is not JSON/);
    expect(() => parseSpansText('42', 't.jsonl')).toThrow(
      't.jsonl: line 1 is not a transcript record (a JSON object)',
    );
    expect(() => parseSpansText('{"silence":{"start":1}}', 't.jsonl')).toThrow(
      't.jsonl: line 1: "silence" is not an array',
    );
    expect(() => parseSpansText('{}\n{"silence":[{"start":-2,"end":1}]}', 't.jsonl')).toThrow(
      't.jsonl: line 2, silence 1: negative time (-2..1)',
    );
  });
});
