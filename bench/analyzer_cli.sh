#!/usr/bin/env bash
# Whole-process cost of `mtrace check` (wall time and peak RSS via /usr/bin/time) on a 10,000- and
# a 100,000-segment media playlist and an MPD of 200 Periods, beside a ceiling measured in the
# same run: `wc -l` reading the same bytes (a process that only splits them into lines).
# Target (SPEC §6): <= 20 ms and <= 16 MB at 10,000 segments.
# Usage: bench/analyzer_cli.sh BUILD_DIR   or   bench/analyzer_cli.sh MTRACE_BINARY BENCH_ANALYZER_BINARY
set -euo pipefail
if [[ -d ${1:-build/release} ]]; then
  mtrace=${1:-build/release}/mtrace
  bench=${1:-build/release}/bench/bench_analyzer
else
  mtrace=$1
  bench=${2:?the bench_analyzer binary}
fi
runs=${RUNS:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bench" --write "$dir"

measure() {  # prints "median_wall_ms max_rss_kb" over $runs runs of "$@"
  local walls=() rss=0
  for _ in $(seq "$runs"); do
    local start end r
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$dir/rss" "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    walls+=("$(( (end - start) / 1000 ))")
    r=$(tail -1 "$dir/rss")
    (( r > rss )) && rss=$r
  done
  local median; median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] / 1000}')
  echo "$median $rss"
}

printf '%-22s %14s %12s   %s\n' input "mtrace check" "peak RSS" "ceiling (wc -l: wall, RSS)"
for f in media-10000.m3u8 media-100000.m3u8 mpd-200-periods.mpd; do
  read -r wall rss < <(measure "$mtrace" check "$dir/$f" --no-binary)
  read -r cwall crss < <(measure wc -l "$dir/$f")
  printf '%-22s %11s ms %9s KB   %s ms, %s KB\n' "$f" "$wall" "$rss" "$cwall" "$crss"
done
echo "target at 10,000 segments: <= 20 ms and <= 16384 KB (SPEC §6); wall includes /usr/bin/time itself (median of $runs)"
