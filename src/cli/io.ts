/** Reads all of a stream (standard input by default) as bytes, reporting the bytes read so far. */
export async function readStdinBytes(
  onBytes?: (bytesRead: number) => void,
  source: NodeJS.ReadableStream = process.stdin,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let read = 0;
  for await (const chunk of source) {
    chunks.push(chunk as Buffer);
    read += (chunk as Buffer).length;
    onBytes?.(read);
  }
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
