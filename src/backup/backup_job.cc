#include "backup/backup_job.h"

#include "core/record_codec.h"

namespace coffer::backup {
namespace {

constexpr uint8_t kJobType = 0x50;
constexpr uint8_t kChunkType = 0x51;
constexpr uint8_t kFormat = 0x01;
constexpr size_t kMaxText = 4096;
constexpr uint32_t kMaxConflicts = 1000;

Status Bad() { return DataLossError("a backup job record is malformed"); }

}  // namespace

std::string_view JobStatusName(JobStatus status) {
  switch (status) {
    case JobStatus::kInProgress: return "InProgress";
    case JobStatus::kSucceeded: return "Succeeded";
    case JobStatus::kFailed: return "Failed";
  }
  return "Failed";
}

SecretBytes EncodeBackupJob(const BackupJob& j) {
  RecordWriter w;
  w.U8(kJobType);
  w.U8(kFormat);
  w.Bytes(j.id);
  w.U8(static_cast<uint8_t>(j.kind));
  w.U8(static_cast<uint8_t>(j.status));
  w.Bytes(j.status_details);
  w.Bytes(j.error_code);
  w.Bytes(j.error_message);
  w.I64(j.start);
  w.OptI64(j.end);
  w.I64(j.expires);
  w.I64(j.heartbeat);
  w.Bytes(j.owner);
  w.U64(j.objects);
  w.U64(j.bytes);
  w.U32(j.chunks);
  w.U64(j.restored);
  w.U32(static_cast<uint32_t>(j.conflicts.size()));
  for (const RestoreConflict& c : j.conflicts) {
    w.U8(static_cast<uint8_t>(c.kind));
    w.Bytes(c.name);
    w.Bytes(c.reason);
  }
  return w.Finish();
}

StatusOr<BackupJob> DecodeBackupJob(std::string_view record) {
  RecordReader r(record);
  BackupJob j;
  uint8_t type = 0, format = 0, kind = 0, status = 0;
  uint32_t conflicts = 0;
  if (!r.U8(&type).ok() || type != kJobType || !r.U8(&format).ok() || format != kFormat ||
      !r.String(&j.id, 64).ok() || !r.U8(&kind).ok() || kind < 1 || kind > 2 ||
      !r.U8(&status).ok() || status < 1 || status > 3 ||
      !r.String(&j.status_details, kMaxText).ok() || !r.String(&j.error_code, kMaxText).ok() ||
      !r.String(&j.error_message, kMaxText).ok() || !r.I64(&j.start).ok() ||
      !r.OptI64(&j.end).ok() || !r.I64(&j.expires).ok() || !r.I64(&j.heartbeat).ok() ||
      !r.String(&j.owner, 64).ok() || !r.U64(&j.objects).ok() || !r.U64(&j.bytes).ok() ||
      !r.U32(&j.chunks).ok() || !r.U64(&j.restored).ok() || !r.U32(&conflicts).ok() ||
      conflicts > kMaxConflicts) {
    return Bad();
  }
  j.kind = static_cast<JobKind>(kind);
  j.status = static_cast<JobStatus>(status);
  for (uint32_t i = 0; i < conflicts; ++i) {
    RestoreConflict c;
    uint8_t k = 0;
    if (!r.U8(&k).ok() || k < 1 || k > 3 || !r.String(&c.name, 256).ok() ||
        !r.String(&c.reason, kMaxText).ok()) {
      return Bad();
    }
    c.kind = static_cast<model::ObjectKind>(k);
    j.conflicts.push_back(std::move(c));
  }
  if (!r.ExpectEnd().ok()) return Bad();
  return j;
}

SecretBytes EncodeArchiveChunk(std::string_view bytes) {
  SecretBytes out(2 + bytes.size());
  out.chars()[0] = static_cast<char>(kChunkType);
  out.chars()[1] = static_cast<char>(kFormat);
  std::copy(bytes.begin(), bytes.end(), out.chars() + 2);
  return out;
}

StatusOr<std::string_view> ArchiveChunkBytes(std::string_view record) {
  if (record.size() < 2 || static_cast<uint8_t>(record[0]) != kChunkType ||
      static_cast<uint8_t>(record[1]) != kFormat) {
    return DataLossError("a backup archive chunk is malformed");
  }
  return record.substr(2);
}

}  // namespace coffer::backup
