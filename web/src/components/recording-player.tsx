import { type Ref, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { toProblem } from '../api/client';
import { Timeline, type TimelineMarker, type TimeSpan } from './timeline';
import { Alert } from './ui';

export type PlayerHandle = { seek: (seconds: number) => void };

/**
 * An <audio> element over the recording's content URL (the browser fetches it with HTTP Range
 * requests; the server answers 206 and decrypts only the chunks a range needs), with the
 * timeline of redacted spans and pause/resume markers under it and a playhead that follows it.
 * Give it a new `key` when `src` changes. When the browser reports an error, the server's own refusal is fetched (one byte) and shown.
 */
export function RecordingPlayer({
  src,
  label,
  fallbackDuration,
  redactedSpans,
  markers,
  onTime,
  ref,
}: {
  src: string;
  label: string;
  fallbackDuration: number | null;
  redactedSpans: readonly TimeSpan[];
  markers: readonly TimelineMarker[];
  onTime?: (seconds: number) => void;
  ref?: Ref<PlayerHandle>;
}) {
  const audio = useRef<HTMLAudioElement>(null);
  const [currentTime, setCurrentTime] = useState(0);
  const [duration, setDuration] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onTimeRef = useRef(onTime);
  onTimeRef.current = onTime;

  const seek = (seconds: number) => {
    const el = audio.current;
    if (!el) return;
    const limit = Number.isFinite(el.duration) ? el.duration : (fallbackDuration ?? seconds);
    el.currentTime = Math.min(Math.max(0, seconds), limit);
    setCurrentTime(el.currentTime);
  };
  useImperativeHandle(ref, () => ({ seek }));

  // The playhead follows the audio: every frame while playing, on timeupdate otherwise.
  useEffect(() => {
    const el = audio.current;
    if (!el) return;
    let frame = 0;
    const tick = () => {
      setCurrentTime(el.currentTime);
      onTimeRef.current?.(el.currentTime);
      if (!el.paused) frame = requestAnimationFrame(tick);
    };
    const onPlay = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(tick);
    };
    const onMeta = () => setDuration(Number.isFinite(el.duration) ? el.duration : null);
    el.addEventListener('play', onPlay);
    el.addEventListener('timeupdate', tick);
    el.addEventListener('seeked', tick);
    el.addEventListener('loadedmetadata', onMeta);
    el.addEventListener('durationchange', onMeta);
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener('play', onPlay);
      el.removeEventListener('timeupdate', tick);
      el.removeEventListener('seeked', tick);
      el.removeEventListener('loadedmetadata', onMeta);
      el.removeEventListener('durationchange', onMeta);
    };
  }, []);

  const onError = async () => {
    try {
      const response = await fetch(src, { headers: { range: 'bytes=0-0' }, credentials: 'same-origin' });
      if (!response.ok) {
        setError((await toProblem(response)).userMessage);
        return;
      }
      setError('Your browser could not play this recording (its format may not be supported here).');
    } catch {
      setError('The recording could not be loaded. Check your connection and try again.');
    }
  };

  return (
    <div className="flex flex-col gap-3">
      {/* biome-ignore lint/a11y/useMediaCaption: the redacted transcript below is the text alternative */}
      <audio
        ref={audio}
        src={src}
        controls
        preload="metadata"
        aria-label={label}
        className="w-full"
        onError={() => void onError()}
        data-testid="recording-audio"
      />
      {error && <Alert>{error}</Alert>}
      <Timeline
        duration={duration ?? fallbackDuration}
        currentTime={currentTime}
        redactedSpans={redactedSpans}
        markers={markers}
        onSeek={seek}
      />
    </div>
  );
}
