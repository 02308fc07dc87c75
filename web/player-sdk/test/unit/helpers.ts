import type { BoundaryDraft, EventMeta, Tracker } from '../../src/types';

export interface Recorded { name: string; meta: EventMeta }

/** A Tracker that records what adapters report, for adapter tests. */
export function recordingTracker(): Tracker & { events: Recorded[]; boundaries: BoundaryDraft[]; names(): string[] } {
  const events: Recorded[] = [];
  const boundaries: BoundaryDraft[] = [];
  return {
    sessionId: 's', traceId: '0'.repeat(31) + '1', active: true, events, boundaries,
    names: () => events.map((e) => e.name),
    track: (name, meta = {}) => void events.push({ name, meta: { ...meta } }),
    addBoundary: (b) => void boundaries.push(b),
    setEnabled: () => undefined,
    flush: async () => undefined,
    destroy: async () => undefined,
    stats: () => ({ queued: events.length, sent: 0, dropped: 0, invalid: 0 }),
  };
}

/** A `<video>` stand-in: an EventTarget whose state the test sets before dispatching events. */
export class FakeVideo extends EventTarget {
  currentTime = 0;
  paused = true;
  autoplay = false;
  readyState = 0;
  seeking = false;
  ended = false;
  duration = 16;
  videoWidth = 640;
  clientWidth = 640;
  clientHeight = 360;
  error: { code: number; message: string } | null = null;
  srcObject: unknown = null;
  bufferedEnd = 0;
  quality = { droppedVideoFrames: 0, totalVideoFrames: 0 };
  get buffered() {
    const end = this.bufferedEnd;
    return { length: end > 0 ? 1 : 0, start: () => 0, end: () => end };
  }
  getVideoPlaybackQuality() {
    return this.quality;
  }
  emit(type: string): void {
    this.dispatchEvent(new Event(type));
  }
  asMedia(): HTMLVideoElement {
    return this as unknown as HTMLVideoElement;
  }
}

export interface FetchCall { url: string; init: RequestInit; body: any }

/** A fetch stand-in answering from a list of responses (the last one repeats). */
export function fakeFetch(responses: Array<() => Response | Promise<Response>> = [() => new Response('{"accepted":1}', { status: 202 })]) {
  const calls: FetchCall[] = [];
  const fn = async (url: RequestInfo | URL, init: RequestInit = {}) => {
    const body = typeof init.body === 'string' && init.body.startsWith('{') ? JSON.parse(init.body) : init.body;
    calls.push({ url: String(url), init, body });
    return responses[Math.min(calls.length - 1, responses.length - 1)]();
  };
  return { fetch: fn as typeof fetch, calls };
}
