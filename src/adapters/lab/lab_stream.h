// The lab's live test stream: one FFmpeg process encodes a test pattern with a clock and a tone
// once, in two renditions (320x180 and 640x360, H.264 + one AAC track), and the tee muxer packages
// that single encode three ways below the media folder:
//   hls/master.m3u8      HLS with fMP4 (CMAF) segments
//   hls-ts/master.m3u8   HLS with MPEG-TS segments
//   dash/manifest.mpd    DASH live (dynamic MPD, SegmentTimeline)
// 2 s segments, a sliding window of 6, old segments deleted by FFmpeg.
#pragma once

#include <string>
#include <vector>

namespace mtrace::adapters::lab {

// The FFmpeg arguments (without argv[0]) of start number `generation`. HLS playlists are appended
// to across restarts (numbers continue, a discontinuity marks the restart); DASH file names carry
// the generation, so a restarted encoder never reuses a cached segment name.
std::vector<std::string> lab_ffmpeg_arguments(const std::string& media_dir, int generation);

// Creates the three output folders. On generation 0 it empties them (a reused --media-dir starts
// fresh); later it removes only DASH files of earlier generations. Errors are ignored: FFmpeg
// reports an unwritable folder itself.
void prepare_lab_media_dir(const std::string& media_dir, int generation);

}  // namespace mtrace::adapters::lab
