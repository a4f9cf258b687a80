// Whole-vault backup and restore routes (CONTRACT.md "Whole-vault backup and restore"), shaped
// like Managed HSM's full backup: POST /backup and PUT /restore answer 202 with an
// Azure-AsyncOperation URL to poll; GET /backup/{jobId}/content returns the archive.
//
// The content is streamed out chunk by chunk as it is stored (http::Response::source): memory
// stays flat whatever the archive's size. A restore's body goes to an unnamed file in the backup
// spool directory as it arrives (http::HeadDecision::body_spool_dir), and the job reads it from
// there; its cap is kMaxArchiveHttpBytes (route_table.cc). Scheduled backups to a directory have
// no cap (docs/decisions.md).
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "backup/backup_schedule.h"
#include "backup/vault_backup_jobs.h"

namespace coffer::api {
namespace {

using backup::BackupJob;
using backup::JobKind;

// An uploaded archive read from its spooled file, from the first byte on every open.
class SpooledSource final : public backup::ByteSource {
 public:
  explicit SpooledSource(std::shared_ptr<const http::BodyFile> file) : file_(std::move(file)) {}
  StatusOr<size_t> Read(char* out, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset_, out, n));
    offset_ += got;
    return got;
  }

 private:
  std::shared_ptr<const http::BodyFile> file_;
  uint64_t offset_ = 0;
};

backup::ByteSourceOpener SpooledArchive(std::shared_ptr<const http::BodyFile> file) {
  return [file = std::move(file)]() -> StatusOr<std::unique_ptr<backup::ByteSource>> {
    return std::unique_ptr<backup::ByteSource>(std::make_unique<SpooledSource>(file));
  };
}

Status NotAvailable() {
  return FailedPreconditionError("Whole-vault backup is not available in this server.",
                                 "BadParameter");
}

std::string_view KindName(model::ObjectKind kind) { return model::ObjectKindName(kind); }

Json Nullable(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json JobJson(const BackupJob& job) {
  Json j;
  j["status"] = std::string(backup::JobStatusName(job.status));
  j["statusDetails"] = Nullable(job.status_details);
  j["error"] = job.error_code.empty()
                   ? Json(nullptr)
                   : Json{{"code", job.error_code}, {"message", job.error_message}};
  j["startTime"] = job.start;
  j["endTime"] = job.end ? Json(*job.end) : Json(nullptr);
  j["jobId"] = job.id;
  j["objects"] = job.objects;
  j["bytes"] = job.bytes;
  if (job.kind == JobKind::kRestore) {
    j["restored"] = job.restored;
    Json conflicts = Json::array();
    for (const backup::RestoreConflict& c : job.conflicts) {
      conflicts.push_back({{"kind", std::string(KindName(c.kind))}, {"name", c.name},
                           {"reason", c.reason}});
    }
    j["conflicts"] = std::move(conflicts);
  }
  return j;
}

// 202 with the poll URL, which carries the request's api-version (as nextLinks do).
http::Response Accepted(const RequestContext& ctx, std::string_view path, const BackupJob& job) {
  Json j{{"status", std::string(backup::JobStatusName(job.status))},
         {"jobId", job.id},
         {"startTime", job.start}};
  http::Response r = JsonResponse(202, j.dump());
  r.headers.Set("Azure-AsyncOperation", ctx.host.Origin() + "/" + std::string(path) + "/" +
                                            job.id + "/pending?api-version=" +
                                            http::PercentEncode(ctx.api_version));
  return r;
}

http::Response JobStatus(const App& app, const RequestContext& ctx, JobKind kind) {
  backup::VaultBackupJobs* jobs = app.services().vault_backups;
  if (jobs == nullptr) return ErrorResponse(NotAvailable());
  auto job = jobs->GetJob(*ctx.vault, kind, ctx.Param("job"));
  if (!job.ok()) return ErrorResponse(job.status());
  return JsonResponse(200, JobJson(*job).dump());
}

}  // namespace

COFFER_ROUTE_HANDLER(StartVaultBackup) {
  (void)req;
  backup::VaultBackupJobs* jobs = app.services().vault_backups;
  if (jobs == nullptr) return ErrorResponse(NotAvailable());
  auto job = jobs->StartBackup(*ctx.vault);
  if (!job.ok()) return ErrorResponse(job.status());
  return Accepted(ctx, "backup", *job);
}

COFFER_ROUTE_HANDLER(GetVaultBackupJob) {
  (void)req;
  return JobStatus(app, ctx, JobKind::kBackup);
}

COFFER_ROUTE_HANDLER(GetVaultBackupContent) {
  (void)req;
  backup::VaultBackupJobs* jobs = app.services().vault_backups;
  if (jobs == nullptr) return ErrorResponse(NotAvailable());
  auto stream = jobs->StreamArchive(*ctx.vault, ctx.Param("job"));
  if (!stream.ok()) return ErrorResponse(stream.status());
  http::Response r;
  r.source = std::move(stream->next);
  r.source_length = stream->bytes;
  auto job = jobs->GetJob(*ctx.vault, JobKind::kBackup, ctx.Param("job"));
  std::string file = backup::BackupFileName(ctx.vault->name, job.ok() ? job->start : 0);
  r.headers.Set("Content-Type", "application/octet-stream");
  r.headers.Set("Content-Disposition", "attachment; filename=\"" + file + "\"");
  r.headers.Set("Cache-Control", "no-cache");
  return r;
}

COFFER_ROUTE_HANDLER(StartVaultRestore) {
  backup::VaultBackupJobs* jobs = app.services().vault_backups;
  if (jobs == nullptr) return ErrorResponse(NotAvailable());
  auto selection = backup::ArchiveSelection::Parse(req.Query("objects").value_or(""));
  if (!selection.ok()) return ErrorResponse(selection.status());
  // The route spools its body to a file (route_table.cc): the archive is read from there, as
  // often as the restore needs, and never held in memory.
  auto job = req.body_file != nullptr
                 ? jobs->StartRestore(*ctx.vault, SpooledArchive(std::move(req.body_file)),
                                      std::move(*selection))
                 : jobs->StartRestore(*ctx.vault, std::move(req.body), std::move(*selection));
  if (!job.ok()) return ErrorResponse(job.status());
  return Accepted(ctx, "restore", *job);
}

COFFER_ROUTE_HANDLER(GetVaultRestoreJob) {
  (void)req;
  return JobStatus(app, ctx, JobKind::kRestore);
}

}  // namespace coffer::api
