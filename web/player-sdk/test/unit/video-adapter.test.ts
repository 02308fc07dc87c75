import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachVideo } from '../../src/adapters/video';
import { FakeVideo, recordingTracker } from './helpers';

let clock = 0;
beforeEach(() => {
  clock = 1000;
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function setup() {
  const video = new FakeVideo();
  const tracker = recordingTracker();
  const handle = attachVideo(tracker, video.asMedia(), { metricsIntervalMs: 0 });
  return { video, tracker, handle };
}

function start(video: FakeVideo) {
  video.paused = false;
  video.emit('play');
  clock += 850;
  video.emit('playing');
}

describe('video element monitoring (shared by every adapter)', () => {
  it('marks the session as lacking network signals (native HLS)', () => {
    const { tracker } = setup();
    expect(tracker.boundaries).toEqual([
      { networkKind: 'manifest', adapter: 'native_hls', reason: 'native_hls_unavailable' },
      { networkKind: 'segment', adapter: 'native_hls', reason: 'native_hls_unavailable' },
    ]);
  });

  it('measures startup from the play request to the first frame; a wait before it is not a rebuffer', () => {
    const { video, tracker } = setup();
    video.paused = false;
    video.emit('play');
    clock += 300;
    video.emit('waiting');
    clock += 500;
    video.emit('playing');
    expect(tracker.events).toEqual([
      { name: 'play_requested', meta: { playhead_s: 0 } },
      { name: 'playback_started', meta: { playhead_s: 0 } },
      { name: 'startup_time_measured', meta: { duration_ms: 800 } },
    ]);
  });

  // <video autoplay> fires `play` only once enough is buffered, right before `playing`: the
  // viewer asked for playback when the page set it up, so the clock starts at attach.
  it('with autoplay, measures startup from the attach, not from the play event just before the first frame', () => {
    const video = new FakeVideo();
    video.autoplay = true;
    const tracker = recordingTracker();
    attachVideo(tracker, video.asMedia(), { metricsIntervalMs: 0 });
    clock += 1200;
    video.paused = false;
    video.emit('play');
    video.emit('playing');
    expect(tracker.events).toEqual([
      { name: 'play_requested', meta: { playhead_s: 0 } },
      { name: 'playback_started', meta: { playhead_s: 0 } },
      { name: 'startup_time_measured', meta: { duration_ms: 1200 } },
    ]);
  });

  it('a play() under way at attach starts the clock at attach; an element already playing is no new request', () => {
    const pending = new FakeVideo();
    pending.paused = false;
    const first = recordingTracker();
    attachVideo(first, pending.asMedia(), { metricsIntervalMs: 0 });
    clock += 700;
    pending.emit('playing');
    expect(first.events.at(-1)).toEqual({ name: 'startup_time_measured', meta: { duration_ms: 700 } });

    const playing = new FakeVideo();
    playing.paused = false;
    playing.readyState = 4;
    const second = recordingTracker();
    attachVideo(second, playing.asMedia(), { metricsIntervalMs: 0 });
    expect(second.events).toEqual([]);
  });

  it('measures a rebuffer from waiting to playing with its duration and running totals', () => {
    const { video, tracker } = setup();
    start(video);
    video.currentTime = 6;
    video.emit('waiting');
    video.emit('waiting');
    clock += 1234;
    video.emit('playing');
    clock += 100;
    video.emit('waiting');
    clock += 66;
    video.emit('playing');
    expect(tracker.events.slice(3)).toEqual([
      { name: 'rebuffer_started', meta: { playhead_s: 6 } },
      { name: 'rebuffer_ended', meta: { duration_ms: 1234, rebuffer_count: 1, total_rebuffer_duration_ms: 1234, playhead_s: 6 } },
      { name: 'rebuffer_started', meta: { playhead_s: 6 } },
      { name: 'rebuffer_ended', meta: { duration_ms: 66, rebuffer_count: 2, total_rebuffer_duration_ms: 1300, playhead_s: 6 } },
    ]);
  });

  it('keeps seeks apart from rebuffering', () => {
    const { video, tracker } = setup();
    start(video);
    video.currentTime = 3;
    video.emit('timeupdate');
    video.seeking = true;
    video.currentTime = 12;
    video.emit('seeking');
    video.emit('waiting');
    clock += 400;
    video.seeking = false;
    video.emit('seeked');
    video.emit('playing');
    expect(tracker.names().slice(3)).toEqual(['seek_started', 'seek_ended']);
    expect(tracker.events[3].meta).toEqual({ from_s: 3, to_s: 12 });
    expect(tracker.events[4].meta).toEqual({ from_s: 3, to_s: 12, duration_ms: 400 });
  });

  // hls.js moves the playhead itself to end a stall: gap-controller's _tryNudgeBuffer (+0.1 s
  // steps) and _trySkipBufferHole (to the next buffered range), stream-controller's
  // synchronizeToLiveEdge (to liveSyncPosition). The stall goes on through them.
  it('keeps a stall open through the player moving the playhead forward', () => {
    const { video, tracker } = setup();
    start(video);
    video.currentTime = 6;
    video.emit('timeupdate');
    video.emit('waiting');
    for (const to of [6.1, 6.3, 8.05, 30]) {  // nudges, a hole skip, a live resync
      clock += 500;
      video.seeking = true;
      video.currentTime = to;
      video.emit('seeking');
      video.emit('waiting');
      video.seeking = false;
      video.emit('seeked');
      video.emit('timeupdate');
    }
    clock += 250;
    video.emit('playing');
    expect(tracker.events.slice(3)).toEqual([
      { name: 'rebuffer_started', meta: { playhead_s: 6 } },
      { name: 'rebuffer_ended', meta: { duration_ms: 2250, rebuffer_count: 1, total_rebuffer_duration_ms: 2250, playhead_s: 30 } },
    ]);
  });

  it('a backward seek during a stall is the viewer\'s: it ends the stall and is a seek', () => {
    const { video, tracker } = setup();
    start(video);
    video.currentTime = 6;
    video.emit('timeupdate');
    video.emit('waiting');
    clock += 400;
    video.seeking = true;
    video.currentTime = 2;
    video.emit('seeking');
    clock += 100;
    video.seeking = false;
    video.emit('seeked');
    video.emit('playing');
    expect(tracker.events.slice(3)).toEqual([
      { name: 'rebuffer_started', meta: { playhead_s: 6 } },
      { name: 'rebuffer_ended', meta: { duration_ms: 400, rebuffer_count: 1, total_rebuffer_duration_ms: 400, playhead_s: 2 } },
      { name: 'seek_started', meta: { from_s: 6, to_s: 2 } },
      { name: 'seek_ended', meta: { from_s: 6, to_s: 2, duration_ms: 100 } },
    ]);
  });

  // Scrubbing fires `seeking` for every position the thumb passes; `seeked` comes once at the end.
  it('reports one seek for a scrub of several seeking events', () => {
    const { video, tracker } = setup();
    start(video);
    video.currentTime = 3;
    video.emit('timeupdate');
    video.seeking = true;
    for (const to of [12, 20, 25]) {
      video.currentTime = to;
      video.emit('seeking');
      video.emit('timeupdate');
    }
    clock += 300;
    video.seeking = false;
    video.emit('seeked');
    expect(tracker.events.slice(3)).toEqual([
      { name: 'seek_started', meta: { from_s: 3, to_s: 12 } },
      { name: 'seek_ended', meta: { from_s: 3, to_s: 25, duration_ms: 300 } },
    ]);
  });

  it('reports pause and resume, and no pause at the end of the media', () => {
    const { video, tracker } = setup();
    start(video);
    video.currentTime = 5;
    video.paused = true;
    video.emit('pause');
    video.emit('waiting');
    video.paused = false;
    video.emit('play');
    video.ended = true;
    video.emit('pause');
    expect(tracker.events.slice(3)).toEqual([
      { name: 'paused', meta: { playhead_s: 5 } },
      { name: 'resumed', meta: { playhead_s: 5 } },
    ]);
  });

  it('reports <video> errors as fatal media errors', () => {
    const { video, tracker } = setup();
    video.error = { code: 4, message: 'DEMUXER_ERROR_COULD_NOT_OPEN' };
    video.emit('error');
    expect(tracker.events).toEqual([{ name: 'playback_error', meta: { fatal: true, error_type: 'media', error_code: 'MEDIA_ERR_SRC_NOT_SUPPORTED', error_details: 'DEMUXER_ERROR_COULD_NOT_OPEN' } }]);
  });

  it('samples metrics on the interval and stops after detach', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const video = new FakeVideo();
    const tracker = recordingTracker();
    const handle = attachVideo(tracker, video.asMedia(), { metricsIntervalMs: 10_000 });
    start(video);
    video.currentTime = 2.5;
    video.bufferedEnd = 8;
    video.quality = { droppedVideoFrames: 1, totalVideoFrames: 60 };
    vi.advanceTimersByTime(10_000);
    expect(tracker.events.at(-1)).toEqual({ name: 'metrics_sampled', meta: { playhead_s: 2.5, buffer_length_s: 5.5, dropped_frames: 1, decoded_frames: 60, player_width: 640, player_height: 360 } });
    handle.detach();
    const count = tracker.events.length;
    vi.advanceTimersByTime(30_000);
    video.emit('pause');
    expect(tracker.events).toHaveLength(count);
  });
});
