/** Reads all of standard input as bytes. */
export async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads all of standard input as UTF-8. */
export async function readStdin(): Promise<string> {
  return (await readStdinBytes()).toString('utf8');
}

/** Writes to stdout, waiting for drain so large exports keep memory flat. */
export function writeOut(text: string): Promise<void> | void {
  if (!process.stdout.write(text))
    return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
