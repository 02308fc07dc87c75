// The catalog of finding codes: each code's severity is fixed here and nowhere else.
// Codes are a stable contract (additive changes only). Generated list kept by hand.
#pragma once

#include <array>

#include "analyzer/finding.h"

namespace mtrace::analyzer::codes {

// The playlist has both multivariant and media playlist tags.
inline constexpr FindingKind playlist_ambiguous{"playlist_ambiguous", Level::warning};
// #EXTM3U with neither multivariant nor media playlist tags.
inline constexpr FindingKind playlist_type_unknown{"playlist_type_unknown", Level::warning};
// No details can be derived for a playlist of unknown type.
inline constexpr FindingKind details_pending{"details_pending", Level::info};
// An EXT-X-I-FRAME-STREAM-INF is listed but its playlist is not analysed.
inline constexpr FindingKind i_frame_variant_skipped{"i_frame_variant_skipped", Level::info};
// EXT-X-STREAM-INF not followed by a URI line.
inline constexpr FindingKind variant_missing_uri{"variant_missing_uri", Level::error};
// EXT-X-STREAM-INF without a valid BANDWIDTH.
inline constexpr FindingKind variant_missing_bandwidth{"variant_missing_bandwidth", Level::error};
// RESOLUTION is not WIDTHxHEIGHT.
inline constexpr FindingKind variant_malformed_resolution{"variant_malformed_resolution", Level::warning};
// A variant URI does not resolve against the base URL.
inline constexpr FindingKind variant_malformed_uri{"variant_malformed_uri", Level::warning};
// EXT-X-MEDIA without TYPE, GROUP-ID or NAME.
inline constexpr FindingKind rendition_missing_required_attr{"rendition_missing_required_attr", Level::error};
// EXT-X-MEDIA TYPE is not AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS.
inline constexpr FindingKind rendition_unknown_type{"rendition_unknown_type", Level::warning};
// EXT-X-MEDIA TYPE=SUBTITLES without URI.
inline constexpr FindingKind rendition_missing_uri{"rendition_missing_uri", Level::error};
// A rendition URI does not resolve against the base URL.
inline constexpr FindingKind rendition_malformed_uri{"rendition_malformed_uri", Level::warning};
// Two renditions with the same TYPE, GROUP-ID and NAME.
inline constexpr FindingKind rendition_duplicate_group_member{"rendition_duplicate_group_member", Level::warning};
// A variant names a rendition group that does not exist.
inline constexpr FindingKind variant_group_undefined{"variant_group_undefined", Level::warning};
// No valid EXT-X-TARGETDURATION.
inline constexpr FindingKind media_missing_targetduration{"media_missing_targetduration", Level::error};
// EXT-X-TARGETDURATION is not a decimal integer.
inline constexpr FindingKind media_malformed_targetduration{"media_malformed_targetduration", Level::error};
// EXT-X-MEDIA-SEQUENCE is not a decimal integer.
inline constexpr FindingKind media_malformed_mediasequence{"media_malformed_mediasequence", Level::warning};
// An EXTINF duration rounded to the nearest integer exceeds the target duration.
inline constexpr FindingKind segment_duration_exceeds_target{"segment_duration_exceeds_target", Level::error};
// A segment is shorter than half the target (or mean) duration.
inline constexpr FindingKind segment_duration_outlier{"segment_duration_outlier", Level::warning};
// EXTINF duration is not a non-negative decimal.
inline constexpr FindingKind segment_malformed_extinf{"segment_malformed_extinf", Level::warning};
// EXTINF not followed by a URI line.
inline constexpr FindingKind segment_missing_uri{"segment_missing_uri", Level::error};
// A URI line without a preceding EXTINF.
inline constexpr FindingKind segment_unexpected_uri{"segment_unexpected_uri", Level::warning};
// A segment URI does not resolve against the base URL.
inline constexpr FindingKind segment_malformed_uri{"segment_malformed_uri", Level::warning};
// EXT-X-MAP without URI.
inline constexpr FindingKind media_map_missing_uri{"media_map_missing_uri", Level::error};
// EXT-X-BYTERANGE is not <length>[@<offset>].
inline constexpr FindingKind media_byterange_malformed{"media_byterange_malformed", Level::warning};
// Two EXT-X-BYTERANGE tags before one segment URI.
inline constexpr FindingKind media_byterange_duplicate{"media_byterange_duplicate", Level::warning};
// EXT-X-BYTERANGE at the end without a segment.
inline constexpr FindingKind media_byterange_orphan{"media_byterange_orphan", Level::warning};
// Segments are encrypted (EXT-X-KEY with a METHOD other than NONE).
inline constexpr FindingKind media_encryption_present{"media_encryption_present", Level::info};
// The playlist uses an initialization section (EXT-X-MAP).
inline constexpr FindingKind media_init_segment_present{"media_init_segment_present", Level::info};
// The playlist has discontinuities.
inline constexpr FindingKind media_discontinuity_present{"media_discontinuity_present", Level::info};
// The playlist carries EXT-X-PROGRAM-DATE-TIME.
inline constexpr FindingKind media_program_date_time_present{"media_program_date_time_present", Level::info};
// EXT-X-VERSION is lower than the features used require.
inline constexpr FindingKind hls_version_too_low{"hls_version_too_low", Level::error};
// A tag allowed once per playlist appears again.
inline constexpr FindingKind hls_tag_duplicate{"hls_tag_duplicate", Level::error};
// EXT-X-DEFINE needs exactly one of NAME, IMPORT, QUERYPARAM and a VALUE with NAME.
inline constexpr FindingKind hls_define_invalid{"hls_define_invalid", Level::error};
// Two EXT-X-DEFINE tags define the same variable.
inline constexpr FindingKind hls_define_duplicate{"hls_define_duplicate", Level::error};
// EXT-X-DEFINE IMPORT in a multivariant playlist.
inline constexpr FindingKind hls_define_import_in_multivariant{"hls_define_import_in_multivariant", Level::error};
// A {$name} reference to a variable that is not defined.
inline constexpr FindingKind hls_variable_undefined{"hls_variable_undefined", Level::error};
// EXT-X-TARGETDURATION must be at least 1.
inline constexpr FindingKind media_targetduration_zero{"media_targetduration_zero", Level::error};
// EXT-X-MEDIA-SEQUENCE after the first segment.
inline constexpr FindingKind media_sequence_after_segments{"media_sequence_after_segments", Level::error};
// EXT-X-DISCONTINUITY-SEQUENCE after the first segment or after a discontinuity.
inline constexpr FindingKind media_discontinuity_sequence_misplaced{"media_discontinuity_sequence_misplaced", Level::error};
// EXT-X-DISCONTINUITY-SEQUENCE is not a decimal integer.
inline constexpr FindingKind media_malformed_discontinuity_sequence{"media_malformed_discontinuity_sequence", Level::error};
// EXT-X-BYTERANGE without offset and no previous sub-range of the same resource.
inline constexpr FindingKind media_byterange_no_previous{"media_byterange_no_previous", Level::error};
// EXT-X-PLAYLIST-TYPE is neither EVENT nor VOD.
inline constexpr FindingKind media_playlist_type_invalid{"media_playlist_type_invalid", Level::error};
// EXT-X-PLAYLIST-TYPE:VOD without EXT-X-ENDLIST.
inline constexpr FindingKind media_vod_missing_endlist{"media_vod_missing_endlist", Level::warning};
// Media segments after EXT-X-ENDLIST.
// A live playlist lists less than three target durations of media.
inline constexpr FindingKind media_live_window_short{"media_live_window_short", Level::warning};
// EXT-X-PROGRAM-DATE-TIME is not an ISO 8601 date-time with time zone.
inline constexpr FindingKind media_pdt_malformed{"media_pdt_malformed", Level::error};
inline constexpr FindingKind hls_date_without_time_zone{"hls_date_without_time_zone", Level::warning};
// EXT-X-PROGRAM-DATE-TIME goes back in time or drifts from the EXTINF durations by more than one second.
inline constexpr FindingKind media_pdt_not_monotonic{"media_pdt_not_monotonic", Level::warning};
// PROGRAM-DATE-TIME is used but a discontinuity segment has none.
inline constexpr FindingKind media_pdt_missing_at_discontinuity{"media_pdt_missing_at_discontinuity", Level::warning};
// EXT-X-DATERANGE without ID, or with a malformed date or a negative duration.
inline constexpr FindingKind hls_daterange_invalid{"hls_daterange_invalid", Level::error};
// EXT-X-DATERANGE END-DATE before START-DATE.
inline constexpr FindingKind hls_daterange_end_before_start{"hls_daterange_end_before_start", Level::error};
// An EXT-X-DATERANGE ID reused with another START-DATE.
inline constexpr FindingKind hls_daterange_id_reused{"hls_daterange_id_reused", Level::error};
// EXT-X-KEY with an unknown METHOD, without URI, or with a malformed IV.
inline constexpr FindingKind hls_key_invalid{"hls_key_invalid", Level::error};
// EXT-X-KEY METHOD=NONE with other attributes.
inline constexpr FindingKind hls_key_none_with_attributes{"hls_key_none_with_attributes", Level::error};
// An AES-128 encrypted EXT-X-MAP whose key has no IV.
inline constexpr FindingKind hls_map_encrypted_without_iv{"hls_map_encrypted_without_iv", Level::error};
// EXT-X-STREAM-INF without CODECS.
inline constexpr FindingKind variant_codecs_missing{"variant_codecs_missing", Level::warning};
// AVERAGE-BANDWIDTH above BANDWIDTH.
inline constexpr FindingKind variant_average_bandwidth_exceeds_bandwidth{"variant_average_bandwidth_exceeds_bandwidth", Level::warning};
// Rendition groups of the same TYPE offer different NAMEs.
inline constexpr FindingKind rendition_group_names_mismatch{"rendition_group_names_mismatch", Level::warning};
// EXT-X-PART without EXT-X-PART-INF.
inline constexpr FindingKind ll_part_inf_missing{"ll_part_inf_missing", Level::error};
// EXT-X-PART without URI or valid DURATION, or EXT-X-PART-INF without PART-TARGET.
inline constexpr FindingKind ll_part_invalid{"ll_part_invalid", Level::error};
// A part is longer than PART-TARGET.
inline constexpr FindingKind ll_part_duration_exceeds_target{"ll_part_duration_exceeds_target", Level::error};
// A part is shorter than 85% of PART-TARGET.
inline constexpr FindingKind ll_part_duration_short{"ll_part_duration_short", Level::warning};
// DISCONTINUITY, KEY, MAP or PROGRAM-DATE-TIME after the first part of its segment.
inline constexpr FindingKind ll_tag_after_part{"ll_tag_after_part", Level::error};
// Parts listed for a segment more than three target durations from the end.
inline constexpr FindingKind ll_parts_too_old{"ll_parts_too_old", Level::warning};
// SERVER-CONTROL HOLD-BACK below three target durations.
inline constexpr FindingKind ll_hold_back_too_small{"ll_hold_back_too_small", Level::error};
// EXT-X-PART-INF without SERVER-CONTROL PART-HOLD-BACK.
inline constexpr FindingKind ll_part_hold_back_missing{"ll_part_hold_back_missing", Level::error};
// PART-HOLD-BACK below twice PART-TARGET.
inline constexpr FindingKind ll_part_hold_back_too_small{"ll_part_hold_back_too_small", Level::error};
// PART-HOLD-BACK below three times PART-TARGET.
inline constexpr FindingKind ll_part_hold_back_below_recommended{"ll_part_hold_back_below_recommended", Level::warning};
// CAN-SKIP-UNTIL below six target durations.
inline constexpr FindingKind ll_can_skip_until_too_small{"ll_can_skip_until_too_small", Level::error};
// CAN-SKIP-DATERANGES=YES without CAN-SKIP-UNTIL.
inline constexpr FindingKind ll_skip_dateranges_without_skip_until{"ll_skip_dateranges_without_skip_until", Level::error};
// EXT-X-SKIP without a valid SKIPPED-SEGMENTS or without CAN-SKIP-UNTIL.
inline constexpr FindingKind ll_skip_invalid{"ll_skip_invalid", Level::error};
// EXT-X-PRELOAD-HINT without TYPE=PART|MAP or without URI, or twice for one TYPE.
inline constexpr FindingKind ll_preload_hint_invalid{"ll_preload_hint_invalid", Level::error};
// EXT-X-RENDITION-REPORT without URI or with a malformed LAST-MSN/LAST-PART.
inline constexpr FindingKind ll_rendition_report_invalid{"ll_rendition_report_invalid", Level::error};
// MPD@type is neither static nor dynamic.
inline constexpr FindingKind dash_mpd_type_unknown{"dash_mpd_type_unknown", Level::warning};
// The MPD has no Period.
inline constexpr FindingKind dash_period_missing{"dash_period_missing", Level::error};
// No AdaptationSet has a Representation.
inline constexpr FindingKind dash_representation_missing{"dash_representation_missing", Level::error};
// Representation without id.
inline constexpr FindingKind dash_representation_missing_id{"dash_representation_missing_id", Level::warning};
// Representation without bandwidth.
inline constexpr FindingKind dash_representation_missing_bandwidth{"dash_representation_missing_bandwidth", Level::error};
// An xs:duration attribute does not parse.
inline constexpr FindingKind dash_duration_malformed{"dash_duration_malformed", Level::error};
// A dynamic MPD without availabilityStartTime.
inline constexpr FindingKind dash_dynamic_missing_availability_start{"dash_dynamic_missing_availability_start", Level::error};
// A dynamic MPD without UTCTiming.
inline constexpr FindingKind dash_utc_timing_missing{"dash_utc_timing_missing", Level::warning};
// A static MPD without mediaPresentationDuration or Period durations.
inline constexpr FindingKind dash_static_duration_unknown{"dash_static_duration_unknown", Level::warning};
// A Period without AdaptationSet.
inline constexpr FindingKind dash_period_empty{"dash_period_empty", Level::warning};
// Representation without codecs (on it or its AdaptationSet).
inline constexpr FindingKind dash_representation_missing_codecs{"dash_representation_missing_codecs", Level::warning};
// Representation without SegmentTemplate, SegmentList, SegmentBase or BaseURL.
inline constexpr FindingKind dash_segment_info_missing{"dash_segment_info_missing", Level::error};
// SegmentTemplate with an unknown identifier, both $Number$ and $Time$, or $Time$ without SegmentTimeline.
inline constexpr FindingKind dash_template_invalid{"dash_template_invalid", Level::error};
// timescale is zero or not an integer.
inline constexpr FindingKind dash_timescale_invalid{"dash_timescale_invalid", Level::error};
// SegmentTimeline S without a positive d, or with a malformed t or r.
inline constexpr FindingKind dash_timeline_invalid{"dash_timeline_invalid", Level::error};
// SegmentTimeline has a gap between two S elements.
inline constexpr FindingKind dash_timeline_gap{"dash_timeline_gap", Level::warning};
// SegmentTimeline S starts before the previous one ends.
inline constexpr FindingKind dash_timeline_overlap{"dash_timeline_overlap", Level::error};
// A reload of the live playlist failed.
inline constexpr FindingKind live_reload_failed{"live_reload_failed", Level::error};
// EXT-X-MEDIA-SEQUENCE went down between reloads.
inline constexpr FindingKind live_media_sequence_regressed{"live_media_sequence_regressed", Level::error};
// EXT-X-MEDIA-SEQUENCE did not grow by the number of segments removed.
inline constexpr FindingKind live_media_sequence_mismatch{"live_media_sequence_mismatch", Level::error};
// EXT-X-DISCONTINUITY-SEQUENCE did not grow by the number of discontinuities removed.
inline constexpr FindingKind live_discontinuity_sequence_mismatch{"live_discontinuity_sequence_mismatch", Level::error};
// A segment kept its media sequence number but changed URI or duration.
inline constexpr FindingKind live_segment_changed{"live_segment_changed", Level::error};
// Segments were removed while less than three target durations remained.
inline constexpr FindingKind live_window_too_short{"live_window_too_short", Level::error};
// EXT-X-TARGETDURATION changed between reloads.
inline constexpr FindingKind live_targetduration_changed{"live_targetduration_changed", Level::error};
// A VOD playlist changed, or an EVENT playlist removed segments.
inline constexpr FindingKind live_playlist_type_violated{"live_playlist_type_violated", Level::error};
// No new segment within 1.5 target durations.
inline constexpr FindingKind live_playlist_stale{"live_playlist_stale", Level::warning};
// A listed segment could not be fetched.
inline constexpr FindingKind live_segment_unavailable{"live_segment_unavailable", Level::error};

inline constexpr std::array kAll{
    playlist_ambiguous,
    playlist_type_unknown,
    details_pending,
    i_frame_variant_skipped,
    variant_missing_uri,
    variant_missing_bandwidth,
    variant_malformed_resolution,
    variant_malformed_uri,
    rendition_missing_required_attr,
    rendition_unknown_type,
    rendition_missing_uri,
    rendition_malformed_uri,
    rendition_duplicate_group_member,
    variant_group_undefined,
    media_missing_targetduration,
    media_malformed_targetduration,
    media_malformed_mediasequence,
    segment_duration_exceeds_target,
    segment_duration_outlier,
    segment_malformed_extinf,
    segment_missing_uri,
    segment_unexpected_uri,
    segment_malformed_uri,
    media_map_missing_uri,
    media_byterange_malformed,
    media_byterange_duplicate,
    media_byterange_orphan,
    media_encryption_present,
    media_init_segment_present,
    media_discontinuity_present,
    media_program_date_time_present,
    hls_version_too_low,
    hls_tag_duplicate,
    hls_define_invalid,
    hls_define_duplicate,
    hls_define_import_in_multivariant,
    hls_variable_undefined,
    media_targetduration_zero,
    media_sequence_after_segments,
    media_discontinuity_sequence_misplaced,
    media_malformed_discontinuity_sequence,
    media_byterange_no_previous,
    media_playlist_type_invalid,
    media_vod_missing_endlist,
    media_live_window_short,
    media_pdt_malformed,
    hls_date_without_time_zone,
    media_pdt_not_monotonic,
    media_pdt_missing_at_discontinuity,
    hls_daterange_invalid,
    hls_daterange_end_before_start,
    hls_daterange_id_reused,
    hls_key_invalid,
    hls_key_none_with_attributes,
    hls_map_encrypted_without_iv,
    variant_codecs_missing,
    variant_average_bandwidth_exceeds_bandwidth,
    rendition_group_names_mismatch,
    ll_part_inf_missing,
    ll_part_invalid,
    ll_part_duration_exceeds_target,
    ll_part_duration_short,
    ll_tag_after_part,
    ll_parts_too_old,
    ll_hold_back_too_small,
    ll_part_hold_back_missing,
    ll_part_hold_back_too_small,
    ll_part_hold_back_below_recommended,
    ll_can_skip_until_too_small,
    ll_skip_dateranges_without_skip_until,
    ll_skip_invalid,
    ll_preload_hint_invalid,
    ll_rendition_report_invalid,
    dash_mpd_type_unknown,
    dash_period_missing,
    dash_representation_missing,
    dash_representation_missing_id,
    dash_representation_missing_bandwidth,
    dash_duration_malformed,
    dash_dynamic_missing_availability_start,
    dash_utc_timing_missing,
    dash_static_duration_unknown,
    dash_period_empty,
    dash_representation_missing_codecs,
    dash_segment_info_missing,
    dash_template_invalid,
    dash_timescale_invalid,
    dash_timeline_invalid,
    dash_timeline_gap,
    dash_timeline_overlap,
    live_reload_failed,
    live_media_sequence_regressed,
    live_media_sequence_mismatch,
    live_discontinuity_sequence_mismatch,
    live_segment_changed,
    live_window_too_short,
    live_targetduration_changed,
    live_playlist_type_violated,
    live_playlist_stale,
    live_segment_unavailable,
};

}  // namespace mtrace::analyzer::codes
