// @vitest-environment happy-dom
// The adapter against a real dash.js 5 MediaPlayer's event bus and event names; the player is not
// initialised (no MediaSource here), so its stream state getters are stubbed on the instance.
import { MediaPlayer } from 'dashjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachDashJs } from '../../src/adapters/dashjs';
import { FakeVideo, recordingTracker } from './helpers';

const events = MediaPlayer.events;
const errors = (MediaPlayer as unknown as { errors: Record<string, number> }).errors;
const low = { bandwidth: 400_000, width: 320, height: 180, absoluteIndex: 0 };
const high = { bandwidth: 1_000_000, width: 640, height: 360, absoluteIndex: 1 };

function setup() {
  const player = MediaPlayer().create();
  const state = { dynamic: false, latency: NaN, representation: low as typeof low | null };
  Object.assign(player, {
    isDynamic: () => state.dynamic,
    getCurrentLiveLatency: () => state.latency,
    getCurrentRepresentationForType: () => state.representation,
  });
  const video = new FakeVideo();
  const tracker = recordingTracker();
  const handle = attachDashJs(tracker, player, video.asMedia(), { metricsIntervalMs: 1000 });
  const emit = (type: string, payload: object) => player.trigger(type as any, payload, {});
  return { player, video, tracker, handle, state, emit };
}

afterEach(() => vi.useRealTimers());

describe('dash.js adapter', () => {
  it('reports the MPD and fragment loads with redacted URLs', () => {
    const { tracker, emit } = setup();
    emit(events.MANIFEST_LOADED, { data: { url: 'https://cdn.example.com/vod/manifest.mpd?sig=abc', type: 'static' } });
    // The fields of dash.js 5's FragmentRequest: startDate/firstByteDate/endDate and the representation object.
    const representation = { id: '1', bandwidth: 400_000 };
    emit(events.FRAGMENT_LOADING_COMPLETED, { request: { url: 'https://cdn.example.com/vod/chunk-stream1-00004.m4s', mediaType: 'video', type: 'MediaSegment', representation, duration: 2, bytesLoaded: 240_000, startDate: new Date(1_000_000), firstByteDate: new Date(1_000_030), endDate: new Date(1_000_120) } });
    emit(events.FRAGMENT_LOADING_COMPLETED, { request: { url: 'https://cdn.example.com/vod/init-stream1.m4s', mediaType: 'video', type: 'InitializationSegment', representation, bytesLoaded: 900, startDate: null, endDate: null } });
    expect(tracker.events).toEqual([
      { name: 'manifest_loaded', meta: { 'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: 'mpd', live: false, 'network.redacted_url': 'https://cdn.example.com/vod/manifest.mpd' } },
      { name: 'segment_loaded', meta: { 'network.kind': 'segment', 'network.detail_status': 'available', media_type: 'video', representation_id: '1', segment_duration_s: 2, bytes: 240_000, duration_ms: 120, 'network.redacted_url': 'https://cdn.example.com/vod/chunk-stream1-00004.m4s' } },
      { name: 'segment_loaded', meta: { 'network.kind': 'segment', 'network.detail_status': 'available', is_init: true, media_type: 'video', representation_id: '1', bytes: 900, 'network.redacted_url': 'https://cdn.example.com/vod/init-stream1.m4s' } },
    ]);
  });

  it('reports rendered video quality changes as bitrate switches, ignoring audio and the first selection', () => {
    const { tracker, emit } = setup();
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'video', newRepresentation: low, oldRepresentation: null });
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'audio', newRepresentation: { bandwidth: 64_000 }, oldRepresentation: { bandwidth: 32_000 } });
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'video', newRepresentation: high, oldRepresentation: low });
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'video', newRepresentation: low, oldRepresentation: high });
    expect(tracker.events).toEqual([
      { name: 'bitrate_switch', meta: { bitrate_bps: 1_000_000, width: 640, height: 360, level: 1, previous_bitrate_bps: 400_000, direction: 'up' } },
      { name: 'bitrate_switch', meta: { bitrate_bps: 400_000, width: 320, height: 180, level: 0, previous_bitrate_bps: 1_000_000, direction: 'down' } },
    ]);
  });

  // A message shaped like "Scheme: …" would be redacted whole by the server, so it is defused.
  it('reports player and media errors with code and details; media errors are fatal', () => {
    const { tracker, emit } = setup();
    emit(events.ERROR, { error: { code: errors.DOWNLOAD_ERROR_ID_CONTENT_CODE, message: 'Failed loading fragment: 404', data: {} } });
    emit(events.PLAYBACK_ERROR, { error: { code: 3, message: 'NotSupportedError: no decoder' } });
    expect(tracker.events).toEqual([
      { name: 'playback_error', meta: { fatal: false, error_type: 'dashjs', error_code: '27', error_details: 'Failed loading fragment: 404' } },
      { name: 'playback_error', meta: { fatal: true, error_type: 'media', error_code: '3', error_details: 'NotSupportedError : no decoder' } },
    ]);
  });

  // dash.js retries fragments and skips what it cannot load; it stops on a broken MPD, a missing
  // MediaSource or EME, an unusable key system, and a media element error it re-raises.
  it('tells fatal dash.js error codes from the ones it recovers from', () => {
    const { tracker, emit } = setup();
    const fatal = [
      errors.MANIFEST_LOADER_PARSING_FAILURE_ERROR_CODE, errors.MANIFEST_LOADER_LOADING_FAILURE_ERROR_CODE,
      errors.DOWNLOAD_ERROR_ID_MANIFEST_CODE, errors.MANIFEST_ERROR_ID_PARSE_CODE, errors.MANIFEST_ERROR_ID_NOSTREAMS_CODE,
      errors.MANIFEST_ERROR_ID_MULTIPLEXED_CODE, errors.CAPABILITY_MEDIASOURCE_ERROR_CODE, errors.CAPABILITY_MEDIAKEYS_ERROR_CODE,
      errors.MEDIASOURCE_TYPE_UNSUPPORTED_CODE, errors.NO_SUPPORTED_KEY_IDS,
      100, 110, 112, 114,  // ProtectionErrors: MEDIA_KEYERR, KEY_STATUS_CHANGED_EXPIRED, KEY_SYSTEM_ACCESS_DENIED, LICENSER_ERROR
      3,  // MEDIA_ERR_DECODE, re-raised by StreamController before it resets the player
    ];
    const recoverable = [
      errors.XLINK_LOADER_LOADING_FAILURE_ERROR_CODE, errors.SEGMENT_BASE_LOADER_ERROR_CODE, errors.TIME_SYNC_FAILED_ERROR_CODE,
      errors.FRAGMENT_LOADER_LOADING_FAILURE_ERROR_CODE, errors.FRAGMENT_LOADER_NULL_REQUEST_ERROR_CODE,
      errors.URL_RESOLUTION_FAILED_GENERIC_ERROR_CODE, errors.APPEND_ERROR_CODE, errors.REMOVE_ERROR_CODE,
      errors.DOWNLOAD_ERROR_ID_SIDX_CODE, errors.DOWNLOAD_ERROR_ID_CONTENT_CODE, errors.DOWNLOAD_ERROR_ID_INITIALIZATION_CODE,
      errors.DOWNLOAD_ERROR_ID_XLINK_CODE, errors.TIMED_TEXT_ERROR_ID_PARSE_CODE,
    ];
    for (const code of [...fatal, ...recoverable]) emit(events.ERROR, { error: { code, message: 'm' } });
    emit(events.ERROR, { error: { message: 'no code' } });
    expect(tracker.events.map((e) => [e.meta.error_code, e.meta.fatal])).toEqual([
      ...fatal.map((code) => [String(code), true]),
      ...recoverable.map((code) => [String(code), false]),
      ['unknown', false],
    ]);
  });

  it('samples the rendered bitrate and, for dynamic MPDs, the live latency', async () => {
    vi.useFakeTimers();
    const { video, tracker, state, emit } = setup();
    video.emit('play');
    video.emit('playing');
    // The first rendered selection, then a switch up that dash.js has requested (the current
    // representation) but whose segments do not play yet: the sample tells what is on screen.
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'video', newRepresentation: low, oldRepresentation: null });
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'audio', newRepresentation: { bandwidth: 64_000 }, oldRepresentation: null });
    state.representation = high;
    await vi.advanceTimersByTimeAsync(1000);
    expect(tracker.events.at(-1)).toMatchObject({ name: 'metrics_sampled', meta: { bitrate_bps: 400_000 } });
    expect(tracker.events.at(-1)!.meta).not.toHaveProperty('live_latency_s');
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'video', newRepresentation: high, oldRepresentation: low });
    await vi.advanceTimersByTimeAsync(1000);
    expect(tracker.events.at(-1)).toMatchObject({ name: 'metrics_sampled', meta: { bitrate_bps: 1_000_000 } });
    state.dynamic = true;
    state.latency = 4.25;
    await vi.advanceTimersByTimeAsync(1000);
    expect(tracker.events.at(-1)!.meta.live_latency_s).toBe(4.25);
  });

  // dash.js' stream getters throw while playback is not initialised (before initialize(), and
  // again after reset(): both leave playbackInitialized false); the sample still goes out with
  // what the element knows.
  it('still samples the element when the player API throws', async () => {
    vi.useFakeTimers();
    const player = MediaPlayer().create();
    const video = new FakeVideo();
    const tracker = recordingTracker();
    attachDashJs(tracker, player, video.asMedia(), { metricsIntervalMs: 1000 });
    expect(() => player.isDynamic()).toThrow();
    video.emit('play');
    video.currentTime = 3;
    video.bufferedEnd = 7;
    video.emit('playing');
    await vi.advanceTimersByTimeAsync(1000);
    expect(tracker.events.at(-1)).toEqual({ name: 'metrics_sampled', meta: { playhead_s: 3, buffer_length_s: 4, dropped_frames: 0, decoded_frames: 0, player_width: 640, player_height: 360 } });
  });

  // dash.js autoplays by default: it calls play() once the initial buffer is filled, so the
  // element's `play` comes right before `playing`. The instruction is the MPD load (dash.js'
  // own CMCD reporter starts its play clock at manifestLoadingStarted when autoplaying).
  it('with dash.js autoplay, measures startup from the MPD load, without it from the play event', () => {
    let clock = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const auto = setup();
      expect(auto.player.getAutoPlay()).toBe(true);
      auto.emit(events.MANIFEST_LOADING_STARTED, { request: {} });
      clock += 1500;
      auto.video.paused = false;
      auto.video.emit('play');
      auto.video.emit('playing');
      expect(auto.tracker.events.filter((e) => e.name !== 'playback_started')).toEqual([
        { name: 'play_requested', meta: { playhead_s: 0 } },
        { name: 'startup_time_measured', meta: { duration_ms: 1500 } },
      ]);

      const manual = setup();
      manual.player.setAutoPlay(false);
      manual.emit(events.MANIFEST_LOADING_STARTED, { request: {} });
      clock += 2000;
      expect(manual.tracker.events).toEqual([]);
      manual.video.paused = false;
      manual.video.emit('play');
      clock += 400;
      manual.video.emit('playing');
      expect(manual.tracker.events.at(-1)).toEqual({ name: 'startup_time_measured', meta: { duration_ms: 400 } });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('detach() removes every listener', () => {
    const { tracker, emit, handle, video } = setup();
    handle.detach();
    emit(events.ERROR, { error: { code: 1, message: 'x' } });
    emit(events.QUALITY_CHANGE_RENDERED, { mediaType: 'video', newRepresentation: high, oldRepresentation: low });
    video.emit('play');
    expect(tracker.events).toEqual([]);
  });
});
