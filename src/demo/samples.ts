import fs from 'node:fs';
import path from 'node:path';
import { DEMO_MARK, DEMO_PANS } from './seed.ts';

const chat = (conversation: string, start: Date, lines: Array<[string, string]>) =>
  lines
    .map(([sender, text], i) =>
      JSON.stringify({
        conversation_id: conversation,
        sender,
        timestamp: new Date(start.getTime() + i * 20_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        text,
      }),
    )
    .map((l) => `${l}\n`)
    .join('');

/** The sample files, by name: chats (JSONL) and free-text agent notes holding test card numbers. */
export function demoSampleFiles(now = new Date()): Record<string, string> {
  const { visa, mastercard, amex, visa2 } = DEMO_PANS;
  return {
    'chat-1.jsonl': chat('demo-chat-1', now, [
      ['agent', 'Hi, this is North Energy support. How can I help?'],
      ['customer', 'I want to pay my bill by card'],
      ['agent', 'Sure, please type the card number'],
      ['customer', `${visa.slice(0, 4)} ${visa.slice(4, 8)}`],
      ['customer', `${visa.slice(8, 12)} ${visa.slice(12)} exp 12/29`],
      ['agent', 'Thanks, and the three digit code on the back?'],
      ['customer', 'cvv 123'],
      ['agent', 'Payment done. Anything else?'],
    ]),
    'chat-2.jsonl': chat('demo-chat-2', now, [
      ['agent', 'Welcome to South Water, you are chatting with Sam.'],
      ['customer', `my card is ${mastercard}, can you update it? my email is pat.example@example.com`],
      ['agent', 'Done. Please never send card numbers in chat, we have a secure form.'],
      ['customer', `oh sorry, the old one was ${amex.slice(0, 4)}-${amex.slice(4, 10)}-${amex.slice(10)}`],
    ]),
    'notes.txt': [
      `# ${DEMO_MARK}: agent notes for the redaction workbench (every person and card is made up)`,
      `2026-11-27 10:02 caller Pat Example paid by card ${visa2.match(/.{4}/g)!.join(' ')}, exp 03/28.`,
      'Customer read the card out loud: five five five five, five five five five, five five five five, four four four four.',
      'Callback requested on +44 7700 900123; date of birth 14/02/1985.',
      `Refund to Amex ${amex} approved by supervisor.north.`,
      '',
    ].join('\n'),
  };
}

/** Writes the sample files into `dir` (leaving any the user has edited in place). Returns their paths. */
export function writeDemoSamples(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return Object.entries(demoSampleFiles()).map(([name, text]) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  });
}
