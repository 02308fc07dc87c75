import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachWhep } from '../../src/adapters/whep';
import { fakeFetch, FakeVideo, recordingTracker } from './helpers';

const ALLOWED_WEBRTC_KEYS = new Set([
  'webrtc.peer_connection_run_id', 'webrtc.sample_id', 'webrtc.packets_lost', 'webrtc.bytes_received', 'webrtc.bytes_sent',
  'webrtc.connection_state', 'webrtc.ice_state', 'webrtc.dtls_state', 'webrtc.error_code', 'webrtc.error_detail',
  'webrtc.jitter_ms', 'webrtc.rtt_ms', 'webrtc.frames_decoded', 'webrtc.frames_dropped', 'webrtc.freeze_count',
  'webrtc.total_freezes_duration_ms', 'webrtc.fps',
]);
const ANSWER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';

/** An RTCPeerConnection stand-in whose stats and state the test drives. */
class FakePeerConnection extends EventTarget {
  static last: FakePeerConnection;
  connectionState = 'new';
  iceConnectionState = 'new';
  iceGatheringState = 'complete';
  localDescription: { sdp: string } | null = null;
  remote: { type: string; sdp: string } | null = null;
  closed = false;
  stats: object[] = [];
  constructor() {
    super();
    FakePeerConnection.last = this;
  }
  addTransceiver() {}
  async createOffer() { return { type: 'offer', sdp: 'v=0\r\noffer' }; }
  async setLocalDescription(d: { sdp: string }) { this.localDescription = d; }
  async setRemoteDescription(d: { type: string; sdp: string }) { this.remote = d; }
  async getStats() { return new Map(this.stats.map((s, i) => [String(i), s])); }
  getReceivers() { return []; }
  close() { this.closed = true; }
  become(state: string) {
    this.connectionState = state;
    this.iceConnectionState = state === 'connected' ? 'connected' : this.iceConnectionState;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
}

beforeEach(() => vi.stubGlobal('RTCPeerConnection', FakePeerConnection));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const created = () => new Response(ANSWER, { status: 201, headers: { Location: '/whep/resource/7' } });

describe('WHEP adapter', () => {
  it('connects by WHEP, samples getStats into allowed webrtc.* keys, and DELETEs on detach', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const net = fakeFetch([created, () => new Response(null, { status: 200 })]);
    const tracker = recordingTracker();
    const video = new FakeVideo();
    const handle = attachWhep(tracker, video.asMedia(), { url: 'http://127.0.0.1:9/whep/stream', token: 'secret', fetch: net.fetch, metricsIntervalMs: 1000 });
    await handle.connected;
    const pc = FakePeerConnection.last;
    expect(net.calls[0].url).toBe('http://127.0.0.1:9/whep/stream');
    expect(net.calls[0].init).toMatchObject({ method: 'POST', body: 'v=0\r\noffer', headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer secret' } });
    expect(pc.remote).toEqual({ type: 'answer', sdp: ANSWER });
    expect(tracker.names()).toEqual(['play_requested']);

    pc.stats = [
      { type: 'inbound-rtp', kind: 'video', packetsLost: 4, bytesReceived: 100_000, jitter: 0.012, framesDecoded: 250, framesDropped: 2, freezeCount: 1, totalFreezesDuration: 0.4, framesPerSecond: 25, frameWidth: 640, frameHeight: 360 },
      { type: 'inbound-rtp', kind: 'audio', packetsLost: 1, bytesReceived: 5_000 },
      { type: 'outbound-rtp', bytesSent: 300 },
      { type: 'transport', dtlsState: 'connected' },
      { type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.0015 },
    ];
    pc.become('connected');
    vi.advanceTimersByTime(1000);
    await vi.waitFor(() => expect(tracker.names()).toContain('metrics_sampled'));
    const sample = tracker.events.find((e) => e.name === 'metrics_sampled')!.meta;
    expect(sample).toMatchObject({
      'webrtc.sample_id': 0, 'webrtc.connection_state': 'connected', 'webrtc.ice_state': 'connected', 'webrtc.dtls_state': 'connected',
      'webrtc.packets_lost': 5, 'webrtc.bytes_received': 105_000, 'webrtc.bytes_sent': 300,
      'webrtc.jitter_ms': 12, 'webrtc.rtt_ms': 2, 'webrtc.frames_decoded': 250, 'webrtc.frames_dropped': 2, 'webrtc.freeze_count': 1,
      'webrtc.total_freezes_duration_ms': 400, 'webrtc.fps': 25, decoded_frames: 250, dropped_frames: 2, width: 640, height: 360,
    });
    expect(sample['webrtc.peer_connection_run_id']).toMatch(/^[a-z0-9_-]{1,64}$/);
    for (const key of Object.keys(sample)) if (key.startsWith('webrtc.')) expect(ALLOWED_WEBRTC_KEYS.has(key)).toBe(true);

    handle.detach();
    expect(net.calls[1].url).toBe('http://127.0.0.1:9/whep/resource/7');
    expect(net.calls[1].init).toMatchObject({ method: 'DELETE', headers: { Authorization: 'Bearer secret' } });
    expect(pc.closed).toBe(true);
    const count = tracker.events.length;
    vi.advanceTimersByTime(5000);
    await Promise.resolve();
    expect(tracker.events).toHaveLength(count);
    expect(tracker.names()).not.toContain('playback_error');
  });

  it.each([
    ['an HTTP error', () => new Response('no', { status: 503 }), 'whep_signaling_failed'],
    ['an answer that is not SDP', () => new Response('<html>', { status: 201 }), 'whep_sdp_invalid'],
    ['an answer without media', () => new Response('v=0\r\ns=-\r\n', { status: 201 }), 'webrtc_no_tracks'],
  ])('reports %s as one fatal playback_error with a known code', async (_label, response, code) => {
    const net = fakeFetch([response]);
    const tracker = recordingTracker();
    const handle = attachWhep(tracker, new FakeVideo().asMedia(), { url: 'http://127.0.0.1:9/whep', fetch: net.fetch, metricsIntervalMs: 0 });
    await expect(handle.connected).rejects.toThrow();
    handle.detach();
    const errors = tracker.events.filter((e) => e.name === 'playback_error');
    expect(errors).toHaveLength(1);
    expect(errors[0].meta).toMatchObject({ fatal: true, error_type: 'webrtc', error_code: code, 'webrtc.error_code': code });
  });

  it('reports a connection failure, and a detach before connecting', async () => {
    const tracker = recordingTracker();
    const handle = attachWhep(tracker, new FakeVideo().asMedia(), { url: 'http://127.0.0.1:9/whep', fetch: fakeFetch([created]).fetch, metricsIntervalMs: 0 });
    await handle.connected;
    FakePeerConnection.last.become('failed');
    expect(tracker.events.at(-1)!.meta).toMatchObject({ error_code: 'peer_connection_failed', 'webrtc.error_detail': 'failed' });

    const early = recordingTracker();
    attachWhep(early, new FakeVideo().asMedia(), { url: 'http://127.0.0.1:9/whep', fetch: fakeFetch([created]).fetch, metricsIntervalMs: 0 }).detach();
    expect(early.events.at(-1)!.meta).toMatchObject({ error_code: 'webrtc_destroyed_before_connected' });
  });
});
