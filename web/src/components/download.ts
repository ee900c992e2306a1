import { toProblem } from '../api/client';

/** The file name of a Content-Disposition header, else `fallback`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  const m = disposition ? /filename="([^"]+)"/.exec(disposition) : null;
  return m?.[1] ?? fallback;
}

/**
 * Downloads a file the API answers (same-origin cookie session) and saves it through a short-lived
 * object URL. A refusal throws the server's problem (so the screen can show it) instead of saving
 * the problem document as the file. Nothing is written to storage.
 *
 * @example
 * await downloadFile('/v1/me/data-export?format=json', 'my-data.json');
 */
export async function downloadFile(path: string, fallbackName: string): Promise<string> {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (!res.ok) throw await toProblem(res);
  const blob = await res.blob();
  const name = fileNameOf(res.headers.get('content-disposition'), fallbackName);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
