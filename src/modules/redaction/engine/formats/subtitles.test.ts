import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectSubtitles, parseSubtitles, redactSubtitles, subtitlesToUtterances } from './subtitles.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../../../test/fixtures');
const VTT = fs.readFileSync(path.join(fixtures, 'call.vtt'), 'utf8');
const SRT = fs.readFileSync(path.join(fixtures, 'call.srt'), 'utf8');
const VISA = '4111111111111111';
const MC = '2221000000000009';
const canaryRuns = (s: string) =>
  [VISA, MC].flatMap((pan) =>
    [...pan].map((_, i) => pan.slice(i, i + 4)).filter((r) => r.length === 4 && s.includes(r)),
  );
const timings = (text: string) => text.split(/\r?\n/).filter((l) => l.includes('-->'));

describe('WebVTT', () => {
  it('reads cues with voice tags and multi-line text, skipping NOTE and STYLE blocks', () => {
    const doc = parseSubtitles(VTT, 'vtt', 'call.vtt');
    expect(doc.cues).toHaveLength(6);
    expect(doc.cues[2]).toMatchObject({ number: 3, line: 18, start: 8.5, end: 12.9, speaker: 'Customer' });
    expect(doc.cues[2]!.plain).toBe("It's four one one one, one one one one");
    expect(doc.notes.map((n) => n.line)).toEqual([4]);
    const u = subtitlesToUtterances(VTT, 'vtt', '/tmp/call.vtt');
    expect(u[0]).toEqual({
      call_id: 'call',
      speaker: 'Agent',
      start: 0,
      end: 3.1,
      text: 'Thanks for calling, how can I help you today?',
    });
  });

  it('finds a spoken card read across two cues and a digit card, with the audio to silence', () => {
    const report = detectSubtitles(VTT, 'vtt', 'call.vtt');
    expect(report.cues.map((c) => c.cue)).toEqual([3, 5, 6]);
    expect(report.cues[0]!.findings[0]).toMatchObject({ type: 'PAN', rule: 'pan.spoken.multiturn' });
    expect(report.cues[0]!.audio).toEqual([{ start: 8.25, end: 13.15 }]);
    // Offsets are into the raw cue text: markup stays outside the finding.
    const cue6 = parseSubtitles(VTT, 'vtt', 'call.vtt').cues[5]!;
    const f = report.cues[2]!.findings[0]!;
    expect(cue6.text.slice(f.start, f.end)).toBe('2221 0000 0000 0009');
  });

  it('writes the same file back with cue text redacted: timings, tags, NOTE and STYLE intact', () => {
    const { output, findings, silence } = redactSubtitles(VTT, 'vtt', 'call.vtt');
    expect(findings).toBe(3);
    expect(silence.length).toBe(3);
    expect(canaryRuns(output)).toEqual([]);
    expect(output).not.toMatch(/\bfour\b/);
    expect(timings(output)).toEqual(timings(VTT));
    expect(output).toContain('<v Customer>My other card is <i>[PAN]</i>, order 1234567890');
    expect(output).toContain('STYLE\n::cue { color: yellow }\n');
    const back = parseSubtitles(output, 'vtt', 'out.vtt');
    expect(back.cues.map((c) => [c.start, c.end, c.speaker])).toEqual(
      parseSubtitles(VTT, 'vtt', 'call.vtt').cues.map((c) => [c.start, c.end, c.speaker]),
    );
  });

  it('redacts NOTE blocks too, and a drop policy never leaves a blank line inside a cue', () => {
    const text = `WEBVTT\n\nNOTE card ${VISA}\n\n00:01.000 --> 00:02.000\n${VISA}\nthanks\n`;
    const { output } = redactSubtitles(text, 'vtt', 'n.vtt', { default: { kind: 'drop' } });
    expect(output).toBe('WEBVTT\n\nNOTE card \n\n00:01.000 --> 00:02.000\nthanks\n');
    expect(detectSubtitles(text, 'vtt', 'n.vtt').notes.map((n) => n.line)).toEqual([3]);
  });

  it('refuses a cue glued to the block above (no blank line), which would otherwise pass unread', () => {
    const cases: Array<[string, RegExp]> = [
      [`WEBVTT\n00:01.000 --> 00:02.000\n${VISA}\n`, /^a\.vtt:2:11: unexpected "-->"/],
      [`WEBVTT\n\nSTYLE\n::cue {}\n00:01.000 --> 00:02.000\n${VISA}\n`, /^a\.vtt:5:11: unexpected "-->"/],
      [
        `WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n00:03.000 --> 00:04.000\n${VISA}\n`,
        /^a\.vtt:5:11: unexpected "-->"/,
      ],
    ];
    for (const [text, message] of cases) expect(() => parseSubtitles(text, 'vtt', 'a.vtt')).toThrow(message);
  });

  it('names the line (and column) of malformed input and never quotes it', () => {
    expect(() => parseSubtitles(`${VISA}\n`, 'vtt', 'a.vtt')).toThrow(/^a\.vtt:1:1: not a WebVTT file/);
    expect(() => parseSubtitles(`WEBVTT\n\n1\n${VISA}\n`, 'vtt', 'a.vtt')).toThrow(
      /^a\.vtt:4: expected a cue timing line/,
    );
    expect(() => parseSubtitles('WEBVTT\n\n00:00:01.000 --> 00:00:x2.000\nhi\n', 'vtt', 'a.vtt')).toThrow(
      /^a\.vtt:3:18: malformed timestamp/,
    );
    expect(() => parseSubtitles('WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nhi\n', 'vtt', 'a.vtt')).toThrow(
      /^a\.vtt:3: cue ends before it starts/,
    );
  });
});

describe('SubRip', () => {
  it('reads comma decimals and CRLF, finds the card across cues and writes SRT back', () => {
    const crlf = SRT.replace(/\n/g, '\r\n');
    const report = detectSubtitles(crlf, 'srt', 'call.srt');
    expect(report.cues.map((c) => [c.cue, c.line, c.speaker])).toEqual([
      [2, 6, 'unknown'],
      [3, 11, 'unknown'],
      [4, 15, 'unknown'],
    ]);
    const { output } = redactSubtitles(crlf, 'srt', 'call.srt');
    expect(canaryRuns(output)).toEqual([]);
    expect(output).toContain("\r\n2\r\n00:00:08,500 --> 00:00:12,900\r\nIt's [PAN]\r\n\r\n3\r\n");
    expect(timings(output)).toEqual(timings(crlf));
    expect(parseSubtitles(output, 'srt', 'o.srt').cues).toHaveLength(4);
  });

  it('refuses a cue without a number or timing, naming the line', () => {
    expect(() =>
      parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nhi\n\nx\nhello\n', 'srt', 's.srt'),
    ).toThrow(/^s\.srt:6: expected a cue timing line/);
    expect(() => parseSubtitles('one\n00:00:01,000 --> 00:00:02,000\nhi\n', 'srt', 's.srt')).toThrow(
      /^s\.srt:1:1: expected a cue number/,
    );
  });
});
