/**
 * Regenerates src/modules/identity/common-passwords.txt, the blocklist used by password-policy.ts.
 *
 * Source: the `passwords` dictionary of the npm package @zxcvbn-ts/language-common (MIT licence,
 * Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.; Copyright (c) 2021 @zxcvbn-ts). zxcvbn-ts builds it
 * from the Xato ten-million-password corpus: passwords seen more than 10 times, lower-cased, ranked by
 * frequency, with entries that zxcvbn's own pattern matchers (sequences, repeats, dates, keyboard walks)
 * already rate weaker than their rank removed. password-policy.ts therefore checks those patterns itself.
 *
 * Usage (offline apart from the npm registry):
 *   npm pack @zxcvbn-ts/language-common@4.1.3
 *   tar xzf zxcvbn-ts-language-common-4.1.3.tgz
 *   node --import tsx scripts/build-password-blocklist.ts package
 * The package's MIT notice is copied into the generated file's header, as the licence requires.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_PACKAGE = '@zxcvbn-ts/language-common@4.1.3';
const OUT = new URL('../src/modules/identity/common-passwords.txt', import.meta.url);

const pkgDir = process.argv[2];
if (!pkgDir) {
  console.error('usage: build-password-blocklist.ts <extracted package directory>');
  process.exit(2);
}

type PackageJson = { name?: string; version?: string };
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackageJson;
if (`${pkg.name}@${pkg.version}` !== SOURCE_PACKAGE) {
  console.error(`expected ${SOURCE_PACKAGE}, found ${pkg.name}@${pkg.version}`);
  process.exit(1);
}
const licence = readFileSync(join(pkgDir, 'LICENSE.txt'), 'utf8').trimEnd();
const raw: unknown = JSON.parse(readFileSync(join(pkgDir, 'src', 'passwords.json'), 'utf8'));
if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) {
  console.error('src/passwords.json is not a JSON array of strings');
  process.exit(1);
}

// Same normalisation as password-policy.ts applies to candidates, so lookups are exact Set hits.
const seen = new Set<string>();
for (const entry of raw as string[]) {
  const pw = entry.normalize('NFKC').toLowerCase();
  if (pw.length === 0 || /[\r\n]/.test(pw)) continue;
  seen.add(pw);
}

const header = [
  '# Common passwords blocklist for Bulwark password-policy.ts (NIST SP 800-63B-4 3.1.1.2).',
  `# Source: "passwords" dictionary of npm ${SOURCE_PACKAGE}, MIT licence,`,
  '# Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc.; Copyright (c) 2021 @zxcvbn-ts.',
  '# Derived from the Xato ten-million-password corpus; frequency order; NFKC + lower-cased, deduplicated.',
  `# Entries: ${seen.size}. Regenerate with scripts/build-password-blocklist.ts; do not edit by hand.`,
  '# Format: these header lines, one blank line, then one password per line.',
  '#',
  '# Licence of the source data:',
  ...licence.split('\n').map((line) => (line ? `#   ${line}` : '#')),
];
writeFileSync(OUT, `${header.join('\n')}\n\n${[...seen].join('\n')}\n`);
console.error(`wrote ${seen.size} entries to ${OUT.pathname}`);
