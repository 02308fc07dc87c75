import type { AdapterHandle, EventMeta, Tracker } from '../types';
import { defined, monitorVideo, safeText, type MonitorOptions } from './playback';

export interface WhepOptions extends Pick<MonitorOptions, 'metricsIntervalMs'> {
  /** The WHEP endpoint: the offer is POSTed here (application/sdp). */
  url: string;
  /** Sent as `Authorization: Bearer <token>` on the WHEP requests when given. */
  token?: string;
  rtcConfiguration?: RTCConfiguration;
  /** Longest wait for ICE gathering before the offer goes out anyway (default 2000 ms). */
  iceGatheringTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WhepHandle extends AdapterHandle {
  /** Resolves once the answer is applied; rejects (after reporting `playback_error`) on failure. */
  readonly connected: Promise<void>;
}

/** `webrtc.error_code` values the server accepts (reference backend.md §2.3). */
type WhepErrorCode = 'whep_signaling_failed' | 'whep_sdp_invalid' | 'webrtc_no_tracks' | 'peer_connection_failed' | 'webrtc_destroyed_before_connected';

const CONNECTION_STATES = new Set(['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed']);
const ICE_STATES = new Set(['new', 'checking', 'connected', 'completed', 'failed', 'disconnected', 'closed']);
const DTLS_STATES = new Set(['new', 'connecting', 'connected', 'closed', 'failed']);

class WhepError extends Error {
  constructor(readonly code: WhepErrorCode, message: string) {
    super(message);
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
}

function waitForIceGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * Plays a WHEP stream into `video` and reports it: connection by WHEP (offer after ICE gathering,
 * no trickle), `getStats()` sampling into `metrics_sampled`, connection failures as
 * `playback_error`, and on `detach()` the stream stops and the WHEP resource is DELETEd.
 */
export function attachWhep(tracker: Tracker, video: HTMLVideoElement, options: WhepOptions): WhepHandle {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const runId = crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const pc = new RTCPeerConnection(options.rtcConfiguration);
  const abort = new AbortController();
  const authorization: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  let resource: string | undefined;
  let connected = false;
  let errored = false;
  let detached = false;
  let sampleId = 0;
  let previous: { at: number; bytes: number } | undefined;

  const monitor = monitorVideo(tracker, video, { metricsIntervalMs: 0, videoErrors: false });
  monitor.requestPlay();

  function fail(code: WhepErrorCode, detail: string): void {
    if (errored || detached) return;
    errored = true;
    tracker.track('playback_error', {
      fatal: true, error_type: 'webrtc', error_code: code, error_details: safeText(detail),
      'webrtc.error_code': code, 'webrtc.error_detail': safeText(detail), 'webrtc.peer_connection_run_id': runId,
    });
  }

  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addEventListener('track', (event) => {
    if (video.srcObject !== event.streams[0]) video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
  });
  pc.addEventListener('connectionstatechange', () => {
    const state = pc.connectionState;
    if (state === 'connected') connected = true;
    if (state === 'failed' || (state === 'closed' && !detached)) fail('peer_connection_failed', state);
  });

  async function connect(): Promise<void> {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await waitForIceGathering(pc, options.iceGatheringTimeoutMs ?? 2000);
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new WhepError('whep_sdp_invalid', 'empty offer');
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST', body: sdp, signal: abort.signal, credentials: 'omit',
        headers: { 'Content-Type': 'application/sdp', Accept: 'application/sdp', ...authorization },
      });
    } catch (error) {
      throw new WhepError('whep_signaling_failed', (error as Error).message);
    }
    if (!response.ok) throw new WhepError('whep_signaling_failed', `HTTP ${response.status}`);
    const location = response.headers.get('Location');
    if (location) resource = new URL(location, new URL(options.url, globalThis.location?.href)).href;
    const answer = await response.text();
    if (!answer.startsWith('v=')) throw new WhepError('whep_sdp_invalid', 'answer is not SDP');
    if (!/^m=(video|audio) /m.test(answer)) throw new WhepError('webrtc_no_tracks', 'answer has no media');
    if (detached) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  const ready = connect().catch((error: unknown) => {
    if (detached) return;
    fail(error instanceof WhepError ? error.code : 'whep_signaling_failed', (error as Error)?.message ?? String(error));
    throw error;
  });
  ready.catch(() => undefined);

  async function sample(): Promise<void> {
    const stats = await pc.getStats();
    const meta: Record<string, string | number | boolean | undefined> = {};
    let packetsLost = 0; let bytesReceived = 0; let bytesSent = 0; let rtt: number | undefined;
    let dtls: string | undefined; let ice: string | undefined;
    stats.forEach((report: any) => {
      if (report.type === 'inbound-rtp') {
        packetsLost += count(report.packetsLost) ?? 0;
        bytesReceived += count(report.bytesReceived) ?? 0;
        if (report.kind === 'video') {
          Object.assign(meta, {
            'webrtc.jitter_ms': typeof report.jitter === 'number' ? Math.round(report.jitter * 1000) : undefined,
            'webrtc.frames_decoded': count(report.framesDecoded),
            'webrtc.frames_dropped': count(report.framesDropped),
            'webrtc.freeze_count': count(report.freezeCount),
            'webrtc.total_freezes_duration_ms': typeof report.totalFreezesDuration === 'number' ? Math.round(report.totalFreezesDuration * 1000) : undefined,
            'webrtc.fps': typeof report.framesPerSecond === 'number' ? report.framesPerSecond : undefined,
            decoded_frames: count(report.framesDecoded),
            dropped_frames: count(report.framesDropped),
            width: count(report.frameWidth),
            height: count(report.frameHeight),
          });
        }
      } else if (report.type === 'outbound-rtp') {
        bytesSent += count(report.bytesSent) ?? 0;
      } else if (report.type === 'transport') {
        dtls = report.dtlsState;
      } else if (report.type === 'candidate-pair' && (report.nominated || report.selected) && typeof report.currentRoundTripTime === 'number') {
        rtt = report.currentRoundTripTime;
      }
    });
    ice = pc.iceConnectionState;
    const now = performance.now();
    const bitrate = previous && now > previous.at ? Math.round(((bytesReceived - previous.bytes) * 8000) / (now - previous.at)) : undefined;
    previous = { at: now, bytes: bytesReceived };
    const states: EventMeta = {};
    if (CONNECTION_STATES.has(pc.connectionState)) states['webrtc.connection_state'] = pc.connectionState;
    if (ice && ICE_STATES.has(ice)) states['webrtc.ice_state'] = ice;
    if (dtls && DTLS_STATES.has(dtls)) states['webrtc.dtls_state'] = dtls;
    tracker.track('metrics_sampled', {
      'webrtc.peer_connection_run_id': runId,
      'webrtc.sample_id': sampleId++,
      ...states,
      'webrtc.packets_lost': packetsLost,
      'webrtc.bytes_received': bytesReceived,
      'webrtc.bytes_sent': bytesSent,
      ...defined({ ...meta, 'webrtc.rtt_ms': rtt === undefined ? undefined : Math.round(rtt * 1000), bitrate_bps: bitrate && bitrate > 0 ? bitrate : undefined }),
    });
  }

  const intervalMs = options.metricsIntervalMs ?? 10_000;
  const timer = intervalMs > 0
    ? setInterval(() => {
        if (connected && !detached) sample().catch(() => undefined);
      }, intervalMs)
    : undefined;

  return {
    connected: ready,
    detach() {
      if (detached) return;
      if (!connected && !errored) fail('webrtc_destroyed_before_connected', 'detached before connected');
      detached = true;
      if (timer !== undefined) clearInterval(timer);
      monitor.detach();
      abort.abort();
      if (resource) void doFetch(resource, { method: 'DELETE', headers: authorization, credentials: 'omit', keepalive: true }).catch(() => undefined);
      for (const receiver of pc.getReceivers()) receiver.track?.stop();
      pc.close();
      video.srcObject = null;
    },
  };
}
