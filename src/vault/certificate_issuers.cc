// Certificate issuers of a vault: one record each at "cis/<vault id>/<issuer mac>" (keyspace.h).
#include <algorithm>

#include "core/encoding.h"
#include "vault/certificate_service.h"

namespace coffer::vault {
namespace {

Status IssuerNotFound() {
  return NotFoundError("Issuer not found", "CertificateIssuerNotFound");
}

StatusOr<std::optional<model::CertificateIssuer>> ReadIssuer(barrier::Txn& t,
                                                            const std::string& key) {
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return std::optional<model::CertificateIssuer>();
  ASSIGN_OR_RETURN(auto issuer, model::DecodeCertificateIssuer(plain->view()));
  return std::optional<model::CertificateIssuer>(std::move(issuer));
}

}  // namespace

StatusOr<model::CertificateIssuer> CertificateService::SetIssuer(
    const model::VaultRecord& vault, model::CertificateIssuer issuer) {
  RETURN_IF_ERROR(model::ValidateCertificateIssuer(issuer));
  ASSIGN_OR_RETURN(std::string key, keys_.CertificateIssuerKey(vault.id, issuer.name));
  UnixSeconds now = clock_.Now();
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto old, ReadIssuer(t, key));
    issuer.created = old ? old->created : now;
    issuer.updated = now;
    return t.Put(key, model::EncodeCertificateIssuer(issuer));
  }));
  return issuer;
}

StatusOr<model::CertificateIssuer> CertificateService::UpdateIssuer(
    const model::VaultRecord& vault, std::string_view name,
    const std::function<Status(model::CertificateIssuer&)>& edit) {
  ASSIGN_OR_RETURN(std::string key, keys_.CertificateIssuerKey(vault.id, name));
  model::CertificateIssuer result;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto old, ReadIssuer(t, key));
    if (!old) return IssuerNotFound();
    result = std::move(*old);
    RETURN_IF_ERROR(edit(result));
    RETURN_IF_ERROR(model::ValidateCertificateIssuer(result));
    result.updated = clock_.Now();
    return t.Put(key, model::EncodeCertificateIssuer(result));
  }));
  return result;
}

StatusOr<model::CertificateIssuer> CertificateService::GetIssuer(const model::VaultRecord& vault,
                                                                std::string_view name) {
  ASSIGN_OR_RETURN(std::string key, keys_.CertificateIssuerKey(vault.id, name));
  std::optional<model::CertificateIssuer> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadIssuer(t, key));
    return OkStatus();
  }));
  if (!found) return IssuerNotFound();
  return std::move(*found);
}

StatusOr<model::CertificateIssuer> CertificateService::DeleteIssuer(
    const model::VaultRecord& vault, std::string_view name) {
  ASSIGN_OR_RETURN(std::string key, keys_.CertificateIssuerKey(vault.id, name));
  std::optional<model::CertificateIssuer> found;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadIssuer(t, key));
    if (!found) return IssuerNotFound();
    return t.Delete(key);
  }));
  return std::move(*found);
}

StatusOr<std::vector<model::CertificateIssuer>> CertificateService::ListIssuers(
    const model::VaultRecord& vault) {
  std::vector<model::CertificateIssuer> out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto entries, t.Scan(Keyspace::CertificateIssuerPrefix(vault.id), "", 0));
    for (auto& [key, plain] : entries) {
      ASSIGN_OR_RETURN(auto issuer, model::DecodeCertificateIssuer(plain.view()));
      out.push_back(std::move(issuer));
    }
    return OkStatus();
  }));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return AsciiLower(a.name) < AsciiLower(b.name);
  });
  return out;
}

}  // namespace coffer::vault
