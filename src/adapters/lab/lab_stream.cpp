#include "adapters/lab/lab_stream.h"

#include <filesystem>
#include <system_error>

namespace mtrace::adapters::lab {
namespace {

constexpr const char* kOutputs[] = {"hls", "hls-ts", "dash"};

std::string dash_generation_prefix(int generation) { return "g" + std::to_string(generation) + "-"; }

}  // namespace

std::vector<std::string> lab_ffmpeg_arguments(const std::string& media_dir, int generation) {
  // Tee slave options are separated by ':' and parsed twice, hence "\\:" inside values.
  const std::string variants = "v\\\\:0,agroup\\\\:aud,name\\\\:low v\\\\:1,agroup\\\\:aud,name\\\\:high "
                               "a\\\\:0,agroup\\\\:aud,name\\\\:audio";
  const std::string hls_common = "hls_time=2:hls_list_size=6:master_pl_name=master.m3u8:var_stream_map=" + variants +
                                 ":hls_flags=delete_segments+independent_segments+append_list+program_date_time";
  const std::string hls_fmp4 = "[f=hls:" + hls_common + ":hls_segment_type=fmp4:hls_fmp4_init_filename=init.mp4" +
                               ":hls_segment_filename=" + media_dir + "/hls/%v/seg_%05d.m4s]" + media_dir +
                               "/hls/%v/index.m3u8";
  // MPEG-TS carries SPS/PPS in-band: the encoder writes them once as extradata (for the MP4
  // packagings), so this output copies them in front of every keyframe.
  const std::string hls_ts = "[f=hls:bsfs/v=dump_extra\\=freq\\=keyframe:" + hls_common +
                             ":hls_segment_type=mpegts:hls_segment_filename=" + media_dir +
                             "/hls-ts/%v/seg_%05d.ts]" + media_dir + "/hls-ts/%v/index.m3u8";
  const std::string prefix = dash_generation_prefix(generation);
  const std::string dash = "[f=dash:seg_duration=2:window_size=6:extra_window_size=3:use_template=1:use_timeline=1"
                           ":adaptation_sets=id\\=0,streams\\=v id\\=1,streams\\=a:utc_timing_url=/lab/time"
                           ":init_seg_name=" + prefix + "init-$RepresentationID$.m4s"
                           ":media_seg_name=" + prefix + "chunk-$RepresentationID$-$Number%05d$.m4s]" +
                           media_dir + "/dash/manifest.mpd";
  return {
      "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
      "-f", "lavfi", "-i",
      "testsrc2=size=640x360:rate=25,drawtext=text='%{localtime\\:%X}':x=16:y=16:fontsize=28"
      ":fontcolor=white:box=1:boxcolor=black@0.6",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-filter_complex", "[0:v]split=2[full][small];[small]scale=320:180[low];[full]null[high]",
      "-map", "[low]", "-map", "[high]", "-map", "1:a",
      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline",
      "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-b:v:0", "300k", "-b:v:1", "900k",
      "-c:a", "aac", "-b:a", "64k", "-flags", "+global_header",
      "-f", "tee", hls_fmp4 + "|" + hls_ts + "|" + dash,
  };
}

void prepare_lab_media_dir(const std::string& media_dir, int generation) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  for (const char* output : kOutputs) {
    const fs::path folder = fs::path(media_dir) / output;
    if (generation == 0) fs::remove_all(folder, ignored);
    fs::create_directories(folder, ignored);
  }
  if (generation == 0) return;
  const std::string current = dash_generation_prefix(generation);
  for (const auto& entry : fs::directory_iterator(fs::path(media_dir) / "dash", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("g") && !name.starts_with(current)) fs::remove(entry.path(), ignored);
  }
}

}  // namespace mtrace::adapters::lab
