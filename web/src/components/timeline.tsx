import type { MouseEvent } from 'react';

export type TimeSpan = { start: number; end: number };
export type TimelineMarker = { kind: 'pause' | 'resume'; atSeconds: number; reason: string | null };

/** Seconds as m:ss (or h:mm:ss), for labels people read. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** Pause/resume markers paired into the intervals the recording was paused (an open pause runs to the end). */
export function pausedIntervals(markers: readonly TimelineMarker[], duration: number): TimeSpan[] {
  const sorted = [...markers].sort((a, b) => a.atSeconds - b.atSeconds);
  const out: TimeSpan[] = [];
  let open: number | null = null;
  for (const m of sorted) {
    if (m.kind === 'pause' && open === null) open = m.atSeconds;
    else if (m.kind === 'resume' && open !== null) {
      out.push({ start: open, end: m.atSeconds });
      open = null;
    }
  }
  if (open !== null) out.push({ start: open, end: Math.max(open, duration) });
  return out;
}

/** Overlapping or touching spans merged, sorted by start. */
export function mergeSpans(spans: readonly TimeSpan[]): TimeSpan[] {
  const sorted = [...spans].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: TimeSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

const WIDTH = 1000;
const HEIGHT = 56;
const TRACK_Y = 16;
const TRACK_H = 24;

/**
 * The recording's length with its redacted spans and pause/resume markers, and a playhead at
 * `currentTime`. Clicking it seeks; keyboard users seek with the player's own controls or the
 * "Go to" buttons in the text list below, which states the same content for screen readers.
 */
export function Timeline({
  duration,
  currentTime,
  redactedSpans,
  markers,
  onSeek,
}: {
  duration: number | null;
  currentTime: number;
  redactedSpans: readonly TimeSpan[];
  markers: readonly TimelineMarker[];
  onSeek?: (seconds: number) => void;
}) {
  const length = duration && Number.isFinite(duration) && duration > 0 ? duration : null;
  const redacted = mergeSpans(redactedSpans);
  const paused = length ? pausedIntervals(markers, length) : [];
  const x = (t: number) => (length ? Math.min(WIDTH, Math.max(0, (t / length) * WIDTH)) : 0);
  const summary = length
    ? `Timeline of ${formatSeconds(length)}: ${redacted.length} redacted ${redacted.length === 1 ? 'span' : 'spans'}, ` +
      `${markers.length} pause/resume ${markers.length === 1 ? 'marker' : 'markers'}, playhead at ${formatSeconds(currentTime)}.`
    : 'Timeline: the recording length is not known yet.';

  const seekFromClick = (e: MouseEvent<SVGSVGElement>) => {
    if (!length || !onSeek) return;
    const box = e.currentTarget.getBoundingClientRect();
    if (box.width <= 0) return;
    onSeek(((e.clientX - box.left) / box.width) * length);
  };

  const rows = [
    ...redacted.map((s) => ({
      at: s.start,
      text: `Redacted ${formatSeconds(s.start)}–${formatSeconds(s.end)}`,
    })),
    ...markers.map((m) => ({
      at: m.atSeconds,
      text: `${m.kind === 'pause' ? 'Paused' : 'Resumed'} at ${formatSeconds(m.atSeconds)}${m.reason ? ` (${m.reason})` : ''}`,
    })),
  ].sort((a, b) => a.at - b.at);

  return (
    <div className="flex flex-col gap-2">
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: a pointer shortcut; keyboard users seek with the player's controls and the "Go to" buttons below */}
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={summary}
        className={`h-14 w-full rounded border border-slate-400 bg-slate-50 ${length && onSeek ? 'cursor-pointer' : ''}`}
        onClick={seekFromClick}
        data-testid="recording-timeline"
      >
        <rect x={0} y={TRACK_Y} width={WIDTH} height={TRACK_H} className="fill-slate-300" />
        {paused.map((p) => (
          <rect
            key={`p${p.start}`}
            x={x(p.start)}
            y={TRACK_Y}
            width={Math.max(2, x(p.end) - x(p.start))}
            height={TRACK_H}
            className="fill-amber-400"
          />
        ))}
        {redacted.map((s) => (
          <rect
            key={`r${s.start}`}
            x={x(s.start)}
            y={TRACK_Y + 4}
            width={Math.max(2, x(s.end) - x(s.start))}
            height={TRACK_H - 8}
            className="fill-red-700"
          />
        ))}
        {markers.map((m) => (
          <path
            key={`m${m.kind}${m.atSeconds}`}
            d={`M ${x(m.atSeconds) - 6} 2 L ${x(m.atSeconds) + 6} 2 L ${x(m.atSeconds)} 12 Z`}
            className={m.kind === 'pause' ? 'fill-amber-800' : 'fill-green-800'}
          />
        ))}
        {length && (
          <line
            x1={x(currentTime)}
            x2={x(currentTime)}
            y1={0}
            y2={HEIGHT}
            strokeWidth={3}
            className="stroke-blue-800"
            data-testid="playhead"
          />
        )}
      </svg>
      <div className="flex flex-wrap gap-4 text-xs text-slate-800" aria-hidden="true">
        <span className="inline-flex items-center gap-1">
          <span className="inline-block h-3 w-4 bg-red-700" /> redacted
        </span>
        <span className="inline-flex items-center gap-1">
          <span className="inline-block h-3 w-4 bg-amber-400" /> recording paused
        </span>
        <span className="inline-flex items-center gap-1">
          <span className="inline-block h-3 w-1 bg-blue-800" /> playhead
        </span>
      </div>
      <ul aria-label="Redacted spans and pause/resume markers" className="flex flex-col gap-1 text-sm">
        {rows.length === 0 && <li className="text-slate-700">No redacted spans or pause/resume markers.</li>}
        {rows.map((r) => (
          <li key={`${r.text}`} className="flex items-center gap-2 text-slate-900">
            <span>{r.text}</span>
            {onSeek && length && (
              <button
                type="button"
                className="rounded px-1 text-blue-800 underline hover:bg-blue-50 focus-visible:outline-2 focus-visible:outline-blue-700"
                onClick={() => onSeek(r.at)}
              >
                Go to {formatSeconds(r.at)}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
