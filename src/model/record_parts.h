// Record pieces the object records share (object.cc, certificate_version.cc): the attributes
// block and the type/format preamble. Layouts: docs/formats/records.md.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "core/record_codec.h"
#include "core/status.h"
#include "model/object.h"

namespace coffer::model {

inline constexpr uint8_t kRecordFormatV1 = 1;
inline constexpr uint8_t kRecordFormatV2 = 2;

// u8 enabled ‖ opt i64 nbf ‖ opt i64 exp ‖ i64 created ‖ i64 updated.
void WriteAttributes(RecordWriter& w, const Attributes& a);
Status ReadAttributes(RecordReader& r, Attributes* a);
// u8 type ‖ u8 format (kRecordFormatV1 .. max_format, stored in *format_out when given);
// DataLoss for another type or format.
Status ReadPreamble(RecordReader& r, uint8_t want_type, uint8_t max_format = kRecordFormatV1,
                    uint8_t* format_out = nullptr);

}  // namespace coffer::model
