/**
 * Seeds a clearly marked synthetic contact center into an empty store, entirely through the
 * services (so every row is validated, encrypted and audited like real data): users of every role
 * with TOTP enrolled through the real sign-in flow, two teams, recordings with speech-like audio,
 * DTMF and a payment pause, redacted transcripts, an investigation case with a legal hold,
 * retention policies, vault tokens and a small WFM import.
 *
 * Used by `bulwark serve --demo` only. Nothing here is fit for real data: the caller keeps the
 * generated passwords and TOTP secrets in a file so the demo can print them again.
 */
import { Readable } from 'node:stream';
import { Secret, TOTP } from 'otpauth';
import { generateOneTimePassword } from '../bootstrap.ts';
import type { AppContext } from '../context.ts';
import type { Role } from '../modules/access/roles.ts';
import type { Actor } from '../modules/users/users.service.ts';
import { type CallSegment, synthesizeCall, transcriptJsonl } from './synthetic-audio.ts';

/** Shown wherever the demo names itself. */
export const DEMO_MARK = 'DEMO — synthetic data';
/** The investigation case the seed opens last: its presence means the seed completed. */
export const DEMO_CASE_TITLE = `${DEMO_MARK}: chargeback dispute, north team`;
export const DEMO_TEAMS = ['north', 'south'] as const;

/** Luhn-valid test card numbers published by the card schemes for testing; never real cards. */
export const DEMO_PANS = {
  visa: '4111111111111111',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  visa2: '4012888888881881',
  mastercard2: '5105105105105100',
} as const;

export type DemoUserSpec = {
  username: string;
  roles: Role[];
  teams: string[];
  permissions?: Array<'detokenize'>;
};

/** One user per role, plus three agents and a supervisor per team. */
export const DEMO_USER_SPECS: readonly DemoUserSpec[] = [
  { username: 'agent.north1', roles: ['agent'], teams: ['north'] },
  { username: 'agent.north2', roles: ['agent'], teams: ['north'] },
  { username: 'agent.north3', roles: ['agent'], teams: ['north'] },
  { username: 'agent.south1', roles: ['agent'], teams: ['south'] },
  { username: 'agent.south2', roles: ['agent'], teams: ['south'] },
  { username: 'agent.south3', roles: ['agent'], teams: ['south'] },
  { username: 'supervisor.north', roles: ['supervisor'], teams: ['north'] },
  { username: 'supervisor.south', roles: ['supervisor'], teams: ['south'] },
  { username: 'wfm.analyst', roles: ['wfm_analyst'], teams: [] },
  { username: 'wfm.manager', roles: ['wfm_manager'], teams: [] },
  { username: 'it.admin', roles: ['it_admin'], teams: [] },
  { username: 'executive', roles: ['executive'], teams: [] },
  { username: 'qa.analyst', roles: ['qa_analyst'], teams: ['north', 'south'] },
  {
    username: 'compliance.officer',
    roles: ['compliance_officer'],
    teams: [],
    permissions: ['detokenize'],
  },
  { username: 'security.analyst', roles: ['security_analyst'], teams: [] },
];

export type DemoUser = DemoUserSpec & { password: string; totpSecret: string };

export type DemoSeedResult =
  | {
      status: 'seeded';
      users: DemoUser[];
      /** Vault tokens of the test cards, for trying detokenization. */
      tokens: Array<{ label: string; token: string }>;
      recordingIds: string[];
      caseId: string;
    }
  | { status: 'already_seeded' };

/** The seed found some demo data but not all of it (an earlier seed was interrupted). */
export class DemoSeedError extends Error {
  override name = 'DemoSeedError';
}

/** The current RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at `at`. */
export function totpCode(secret: string, at: Date): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: at.getTime(),
  });
}

const SPOKEN_DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** "four one one one, one one one one, …": a card number read out digit by digit in groups of four. */
const spoken = (pan: string) =>
  (pan.match(/.{1,4}/g) ?? []).map((g) => [...g].map((d) => SPOKEN_DIGITS[Number(d)]).join(' ')).join(', ');
const grouped = (pan: string) => (pan.match(/.{1,4}/g) ?? []).join(' ');

type CallPlan = { agent: string; team: string; script: CallSegment[]; paymentTaken: boolean };

function callPlans(): CallPlan[] {
  const plans: CallPlan[] = [];
  const agentsOf = (team: string) => [1, 2, 3].map((n) => `agent.${team}${n}`);
  const cards = Object.values(DEMO_PANS);
  let k = 0;
  for (const team of DEMO_TEAMS) {
    const brand = team === 'north' ? 'North Energy' : 'South Water';
    for (const agent of agentsOf(team)) {
      const name = agent.replace(/^agent\./, 'agent ');
      const pan = cards[k % cards.length]!;
      const greeting: CallSegment = {
        kind: 'speech',
        speaker: 'agent',
        text: `Thank you for calling ${brand}, this is ${name}, how can I help you today?`,
      };
      const templates: CallSegment[][] = [
        [
          greeting,
          { kind: 'speech', speaker: 'customer', text: 'Hi, I would like to pay my bill please.' },
          {
            kind: 'speech',
            speaker: 'agent',
            text: 'Of course. Please key in your account number on the keypad, then the hash key.',
          },
          { kind: 'dtmf', digits: '40021877#' },
          {
            kind: 'speech',
            speaker: 'agent',
            text: 'Thank you. I will pause the recording now while you give me your card details.',
          },
          { kind: 'payment-pause', seconds: 5 },
          { kind: 'speech', speaker: 'agent', text: 'The recording has resumed. Your payment went through.' },
          {
            kind: 'speech',
            speaker: 'customer',
            text: `Great. Oh, and my other card is ${spoken(pan)} if you need it.`,
          },
          { kind: 'speech', speaker: 'agent', text: 'Thanks, there is no need. Anything else today?' },
          { kind: 'speech', speaker: 'customer', text: 'No, that is all, thank you.' },
        ],
        [
          greeting,
          { kind: 'speech', speaker: 'customer', text: 'I want to change the card on my account.' },
          { kind: 'speech', speaker: 'agent', text: 'Please type the new card number on your keypad now.' },
          { kind: 'dtmf', digits: pan },
          {
            kind: 'speech',
            speaker: 'customer',
            text: `Just to check, the number I typed was ${grouped(pan)}.`,
          },
          { kind: 'speech', speaker: 'agent', text: 'Let me pause the recording for the security code.' },
          { kind: 'payment-pause', seconds: 4 },
          { kind: 'speech', speaker: 'agent', text: 'All done, the new card is saved on your account.' },
        ],
        [
          greeting,
          { kind: 'speech', speaker: 'customer', text: 'Can I pay the outstanding balance over the phone?' },
          {
            kind: 'speech',
            speaker: 'agent',
            text: 'Yes. What is the long number on the front of the card?',
          },
          { kind: 'speech', speaker: 'customer', text: `It is ${spoken(pan)}.` },
          { kind: 'speech', speaker: 'agent', text: 'And please key in the expiry date on the keypad.' },
          { kind: 'dtmf', digits: '1229' },
          { kind: 'speech', speaker: 'agent', text: 'I am pausing the recording for the security code now.' },
          { kind: 'payment-pause', seconds: 4 },
          { kind: 'speech', speaker: 'agent', text: 'Thank you, that payment is complete.' },
        ],
      ];
      plans.push({ agent, team, script: templates[k % templates.length]!, paymentTaken: true });
      k++;
    }
  }
  return plans;
}

const WFM_AGENTS_CSV = (users: readonly DemoUserSpec[]) =>
  [
    'agent_id,username,name,team,site,region',
    ...users
      .filter((u) => u.roles.includes('agent'))
      .map((u, i) => {
        const [first, last] = [
          'Alex Morgan',
          'Sam Patel',
          'Jo Chen',
          'Kim Okafor',
          'Lee Novak',
          'Ria Santos',
        ][i % 6]!.split(' ');
        return `D${100 + i},${u.username},${first} ${last} (synthetic),${u.teams[0]},Leeds,eu`;
      }),
    '',
  ].join('\n');

function wfmSchedulesCsv(users: readonly DemoUserSpec[], day: Date): string {
  const date = day.toISOString().slice(0, 10);
  const rows = users
    .filter((u) => u.roles.includes('agent'))
    .flatMap((_, i) => [
      `D${100 + i},${date}T08:00:00Z,${date}T12:00:00Z,phone`,
      `D${100 + i},${date}T12:30:00Z,${date}T16:30:00Z,${i % 2 === 0 ? 'phone' : 'chat'}`,
    ]);
  return ['agent_id,start,end,activity', ...rows, ''].join('\n');
}

function wfmAdherenceCsv(users: readonly DemoUserSpec[], day: Date): string {
  const date = day.toISOString().slice(0, 10);
  const states = ['logged_in', 'available', 'on_call', 'after_call_work', 'available', 'break'];
  const rows = users
    .filter((u) => u.roles.includes('agent'))
    .flatMap((_, i) =>
      states.map((s, j) => `D${100 + i},${date}T08:${String(j * 7 + i).padStart(2, '0')}:00Z,${s}`),
    );
  return ['agent_id,timestamp,state', ...rows, ''].join('\n');
}

/**
 * WFM-only agents (no Bulwark account) so the north team is large enough for the aggregate
 * reports to chart it, while south (its three demo agents) stays under the cohort of 5 and shows
 * suppression. Ids W201+ never collide with the demo users' D100+.
 */
const WFM_EXTRA_NORTH = ['Noor Haddad', 'Tom Reyes', 'Ana Silva', 'Ben Walsh', 'Mia Novak', 'Raj Iyer'].map(
  (name, i) => ({ id: `W${201 + i}`, name: `${name} (synthetic)` }),
);

function wfmExtraCsv(day: Date) {
  const date = day.toISOString().slice(0, 10);
  const month = `${date.slice(0, 7)}-01`;
  const states = ['logged_in', 'available', 'on_call', 'after_call_work', 'available', 'break'];
  const reasons = ['vacation', 'sick', 'personal'] as const;
  return {
    agents: [
      'agent_id,username,name,team,site,region',
      ...WFM_EXTRA_NORTH.map((a) => `${a.id},,${a.name},north,Leeds,eu`),
      '',
    ].join('\n'),
    schedules: [
      'agent_id,start,end,activity',
      ...WFM_EXTRA_NORTH.map(
        (a, i) =>
          `${a.id},${date}T${String(7 + (i % 3)).padStart(2, '0')}:00:00Z,${date}T${String(15 + (i % 3)).padStart(2, '0')}:00:00Z,phone`,
      ),
      '',
    ].join('\n'),
    adherence: [
      'agent_id,timestamp,state',
      ...WFM_EXTRA_NORTH.flatMap((a, i) =>
        states.map((s, j) => `${a.id},${date}T09:${String(j * 8 + i).padStart(2, '0')}:00Z,${s}`),
      ),
      '',
    ].join('\n'),
    absences: [
      'agent_id,start_date,end_date,reason_code',
      ...WFM_EXTRA_NORTH.slice(0, 3).map((a, i) => `${a.id},${month},${month},${reasons[i]}`),
      '',
    ].join('\n'),
    performance: [
      'agent_id,period_start,metric,value',
      ...WFM_EXTRA_NORTH.flatMap((a, i) => [
        `${a.id},${month},aht_seconds,${300 + i * 17}`,
        `${a.id},${month},csat,${(4.1 + (i % 4) / 10).toFixed(1)}`,
      ]),
      '',
    ].join('\n'),
  };
}

/**
 * Seeds the demo contact center into the default tenant of an empty store, or does nothing when it
 * is already there. Throws {@link DemoSeedError} when an earlier seed stopped half-way.
 *
 * @example
 * const result = await seedDemo(ctx);
 * if (result.status === 'seeded') saveCredentials(result.users);
 */
export async function seedDemo(ctx: AppContext): Promise<DemoSeedResult> {
  const tenant = await ctx.tenants.ensureDefault();
  const actor: Actor = {
    tenantId: tenant.id,
    userId: null,
    roles: [],
    sessionId: null,
    ip: null,
    requestId: null,
    channel: 'system',
  };
  const cases = await ctx.cases.list(tenant.id, {});
  if (cases.some((c) => c.title === DEMO_CASE_TITLE)) return { status: 'already_seeded' };
  if ((await ctx.users.countUsers(tenant.id)) > 0)
    throw new DemoSeedError(
      'The demo store already holds users but no completed demo seed (an earlier start was interrupted, ' +
        'or this is not a demo store). Delete the demo data directory to start the demo afresh.',
    );

  // Users, then TOTP enrolment through the real sign-in flow (the secret is the server's own).
  const users: DemoUser[] = [];
  const meta = { ip: null, requestId: null };
  for (const spec of DEMO_USER_SPECS) {
    const password = generateOneTimePassword();
    const created = await ctx.users.createUser(actor, {
      username: spec.username,
      roles: spec.roles,
      teams: spec.teams,
      region: 'eu',
      site: 'Leeds',
      password,
      mustChangePassword: false,
    });
    if (spec.permissions) await ctx.users.updateUser(actor, created.id, { permissions: spec.permissions });
    const login = await ctx.auth.login({ username: spec.username, password }, meta);
    if (login.status !== 'mfa_enrollment_required')
      throw new DemoSeedError(`TOTP enrolment of ${spec.username} did not start (got ${login.status})`);
    const totpSecret = login.totp.secret;
    const session = await ctx.auth.completeMfa(
      { challenge: login.challenge, code: totpCode(totpSecret, ctx.clock.now()) },
      meta,
    );
    await ctx.auth.logout(await ctx.auth.authenticate(session.token), meta);
    users.push({ ...spec, password, totpSecret });
  }

  await ctx.retention.set(actor, { kind: 'audio', retainDays: 365 });
  await ctx.retention.set(actor, { kind: 'screen', retainDays: 90 });

  const tokens: Array<{ label: string; token: string }> = [];
  for (const [scheme, pan] of Object.entries(DEMO_PANS).slice(0, 3)) {
    const { token } = await ctx.tokens.tokenize(actor, {
      value: pan,
      type: 'PAN',
      metadata: { source: 'demo', scheme },
    });
    tokens.push({ label: `${scheme} test card ending ${pan.slice(-4)}`, token });
  }

  // Recordings: synthesised, streamed into the vault (encrypted), with markers and a redacted transcript.
  const recordingIds: string[] = [];
  const base = ctx.clock.now().getTime();
  const plans = callPlans();
  for (const [i, plan] of plans.entries()) {
    const call = synthesizeCall(plan.script, 1000 + i);
    const callId = `DEMO-${plan.team.toUpperCase()}-${String(i + 1).padStart(3, '0')}`;
    const startedAt = new Date(base - (plans.length - i) * 47 * 60_000);
    const rec = await ctx.recordings.ingest(
      actor,
      {
        callId,
        kind: 'audio',
        agent: plan.agent,
        team: plan.team,
        site: 'Leeds',
        customerRef: `CUST-${70_000 + i * 13}`,
        startedAt,
        endedAt: new Date(startedAt.getTime() + Math.ceil(call.durationSeconds * 1000)),
        codec: 'pcm16',
        contentType: 'audio/wav',
        paymentTaken: plan.paymentTaken,
        tags: ['demo', 'synthetic'],
      },
      Readable.from([call.wav]),
    );
    for (const p of call.pauses) {
      await ctx.recordings.addMarker(actor, rec.id, { kind: 'pause', atSeconds: p.from, reason: 'payment' });
      await ctx.recordings.addMarker(actor, rec.id, { kind: 'resume', atSeconds: p.to, reason: 'payment' });
    }
    await ctx.recordingContent.attachTranscript(actor, rec.id, transcriptJsonl(callId, call));
    recordingIds.push(rec.id);
  }

  const today = ctx.clock.now();
  await ctx.wfm.importCsv(actor, 'agents', WFM_AGENTS_CSV(DEMO_USER_SPECS), { file: 'demo-agents.csv' });
  await ctx.wfm.importCsv(actor, 'schedules', wfmSchedulesCsv(DEMO_USER_SPECS, today), {
    file: 'demo-schedules.csv',
  });
  await ctx.wfm.importCsv(actor, 'adherence', wfmAdherenceCsv(DEMO_USER_SPECS, today), {
    file: 'demo-adherence.csv',
  });
  const extra = wfmExtraCsv(today);
  for (const kind of ['agents', 'schedules', 'adherence', 'absences', 'performance'] as const)
    await ctx.wfm.importCsv(actor, kind, extra[kind], { file: `demo-extra-${kind}.csv` });

  // Last: the case (its presence marks a completed seed), two north recordings linked, one on hold.
  const officer = users.find((u) => u.roles.includes('compliance_officer'))!;
  const officerId = (await ctx.users.requireByUsername(tenant.id, officer.username)).id;
  const opened = await ctx.cases.open(actor, { title: DEMO_CASE_TITLE, assigneeUserId: officerId });
  await ctx.cases.link(actor, opened.id, recordingIds.slice(0, 2), 'demo: chargeback investigation');
  await ctx.cases.placeHold(
    actor,
    { recordingId: recordingIds[0]! },
    'demo: chargeback dispute, keep until resolved',
  );
  return { status: 'seeded', users, tokens, recordingIds, caseId: opened.id };
}
