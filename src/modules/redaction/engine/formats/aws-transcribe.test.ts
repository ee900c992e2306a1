import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  awsToUtterances,
  detectAwsTranscribe,
  parseAwsTranscribe,
  redactAwsTranscribe,
} from './aws-transcribe.ts';

const fixture = path.resolve(import.meta.dirname, '../../../../../test/fixtures/aws-transcribe.json');
const AWS = fs.readFileSync(fixture, 'utf8');
const VISA = '4111111111111111';
const MC = '2221000000000009';
/** Every 4+ digit substring of the canary PANs found anywhere in `s`. */
const canaryRuns = (s: string) =>
  [VISA, MC].flatMap((pan) =>
    [...pan].map((_, i) => pan.slice(i, i + 4)).filter((r) => r.length === 4 && s.includes(r)),
  );

type Item = {
  type: string;
  start_time?: string;
  end_time?: string;
  alternatives: Array<{ content: string }>;
};

describe('Amazon Transcribe output', () => {
  it('imports items as utterances split at speaker changes, with word timings', () => {
    const u = awsToUtterances(AWS, 'call.json');
    expect(u.map((x) => x.speaker)).toEqual(['spk_0', 'spk_1', 'spk_0', 'spk_1', 'spk_0', 'spk_1']);
    expect(u[0]).toMatchObject({
      call_id: 'call-200',
      start: 0,
      text: 'Thanks for calling, how can I help you today?',
    });
    expect(u[0]!.words!.map((w) => w.w)).not.toContain(',');
  });

  it('finds a spoken card across turns and a digit card, with word-accurate audio spans', () => {
    const found = detectAwsTranscribe(AWS, 'call.json');
    expect(found.map((f) => f.utterance)).toEqual([2, 4, 6]);
    // "four" starts at 8.9 s: the span starts 250 ms before it, not at the start of the turn (3.4 s).
    expect(found[0]!.audio).toEqual([{ start: 8.65, end: 12.25 }]);
    const items = JSON.parse(AWS).results.items as Item[];
    expect(found[0]!.items.map((i) => items[i]!.alternatives[0]!.content).join(' ')).toBe(
      'four one one one , one one one one',
    );
    expect(found[2]!.items.map((i) => items[i]!.alternatives[0]!.content)).toEqual([MC]);
  });

  it('redacts every copy of the text, keeps the structure, and adds the spans to silence', () => {
    const { output, findings } = redactAwsTranscribe(AWS, 'call.json');
    expect(findings).toBe(3);
    expect(canaryRuns(output)).toEqual([]);
    expect(output).not.toMatch(/"(four|one)"/);
    const before = JSON.parse(AWS);
    const after = JSON.parse(output);
    expect(after.jobName).toBe('call-200');
    expect(after.results.items).toHaveLength(before.results.items.length);
    after.results.items.forEach((it: Item, i: number) => {
      expect(it.type).toBe(before.results.items[i].type);
      expect(it.start_time).toBe(before.results.items[i].start_time);
    });
    expect(after.results.transcripts[0].transcript).toContain("It's [PAN] mm-hmm [PAN] Thank you.");
    expect(after.results.audio_segments[2].transcript).toBe("It's [PAN]");
    expect(after.results.speaker_labels.segments).toHaveLength(before.results.speaker_labels.segments.length);
    expect(after.bulwark_redactions.silence).toEqual([
      { start: 8.65, end: 12.25 },
      { start: 13.55, end: 17.15 },
      { start: 23.05, end: 23.85 },
    ]);
    expect(after.bulwark_redactions.findings[0]).toEqual({
      type: 'PAN',
      rule: 'pan.spoken.multiturn',
      speaker_label: 'spk_1',
    });
  });

  it('drops parts it cannot redact (alternative transcriptions) and redacts channel items', () => {
    const doc = JSON.parse(AWS);
    const items = doc.results.items as Array<Item & { id: number }>;
    doc.results.segments = [{ alternatives: [{ transcript: `card ${MC}`, items: [] }] }];
    doc.results.channel_labels = {
      number_of_channels: 1,
      channels: [{ channel_label: 'ch_0', items: items.map(({ id: _id, ...rest }) => rest) }],
    };
    doc.results.items[56].alternatives.push({ confidence: '0.1', content: MC });
    const { output } = redactAwsTranscribe(JSON.stringify(doc), 'call.json');
    expect(canaryRuns(output)).toEqual([]);
    const after = JSON.parse(output);
    expect(after.results.segments).toBeUndefined();
    expect(after.bulwark_redactions.dropped).toEqual(['results.segments']);
    expect(after.results.channel_labels.channels[0].items[56].alternatives[0].content).toBe('[PAN]');
    expect(after.results.items[56].alternatives).toEqual([{ confidence: '0.99', content: '[PAN]' }]);
  });

  it('names the field or line and column of malformed input, never quoting it', () => {
    expect(() => parseAwsTranscribe(`{"results": {"items": [${VISA},]}}`, 'a.json')).toThrow(
      /^a\.json:1:\d+: malformed JSON$/,
    );
    expect(() => parseAwsTranscribe('{"results": {}}', 'a.json')).toThrow(
      /^a\.json: field "results\.items" must be an array/,
    );
    const doc = JSON.parse(AWS);
    doc.results.items[3].start_time = VISA.slice(0, 8) + 'x';
    expect(() => parseAwsTranscribe(JSON.stringify(doc), 'a.json')).toThrow(
      /^a\.json: field "results\.items\[3\]\.start_time" must be a time in seconds, at least 0$/,
    );
  });
});
