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

/** The Fetch standard's cap on keepalive request bodies in flight at once (inflightKeepaliveBytes). */
export const BROWSER_KEEPALIVE_QUOTA = 64 * 1024;

export interface HeldCall extends FetchCall {
  keepalive: boolean;
  bytes: number;
  /** Refused by the keepalive quota: the promise rejected at once, as a browser's does. */
  refused: boolean;
  /** Answers a held request. */
  answer(status?: number): void;
}

/**
 * A fetch that behaves like a browser's towards keepalive: a keepalive request whose body would
 * take the bodies of keepalive requests in flight past 64 KiB fails with a TypeError. Requests
 * that `hold` selects (default: keepalive ones) stay in flight until answered; the others
 * answer `status` (default 202) at once.
 */
export function quotaFetch(options: { hold?: (call: HeldCall) => boolean; status?: () => number } = {}) {
  const calls: HeldCall[] = [];
  const hold = options.hold ?? ((call) => call.keepalive);
  let inFlight = 0;
  let peak = 0;
  const fn = (url: RequestInfo | URL, init: RequestInit = {}) => {
    const text = typeof init.body === 'string' ? init.body : '';
    const bytes = new TextEncoder().encode(text).length;
    const keepalive = init.keepalive === true;
    let answer: (status?: number) => void = () => undefined;
    const call: HeldCall = {
      url: String(url), init, body: text.startsWith('{') ? JSON.parse(text) : text, keepalive, bytes,
      refused: keepalive && inFlight + bytes > BROWSER_KEEPALIVE_QUOTA, answer: (status) => answer(status),
    };
    calls.push(call);
    if (call.refused) return Promise.reject(new TypeError('Failed to fetch'));
    if (keepalive) inFlight += bytes;
    peak = Math.max(peak, inFlight);
    const response = new Promise<Response>((resolve) => {
      answer = (status = 202) => {
        answer = () => undefined;
        if (keepalive) inFlight -= bytes;
        resolve(new Response(status === 202 ? '{"accepted":1}' : '{"error":"e","message":"m"}', { status }));
      };
    });
    if (!hold(call)) call.answer(options.status?.() ?? 202);
    return response;
  };
  return {
    fetch: fn as typeof fetch,
    calls,
    /** Keepalive body bytes in flight now, and the most there ever were. */
    inFlight: () => inFlight,
    peak: () => peak,
    answerAll(status?: number) {
      for (const call of calls) call.answer(status);
    },
    events: () => calls.filter((c) => !c.refused).flatMap((c) => c.body.events as Array<{ event_name: string; sequence_number: number }>),
  };
}
