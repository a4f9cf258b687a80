// CertificateService: creation (a pending version with a CSR and its key pair in the
// operation; Self issues at once only when self_issuance_seconds is 0), the sweeper's issuance
// of a pending Self version, and merge of a pending version. Each writes the certificate version,
// its managed key and secret, the policy and the operation in ONE barrier transaction: a
// failure writes nothing.
#include "core/encoding.h"
#include "crypto/certificate_info.h"
#include "crypto/certificate_issue.h"
#include "crypto/certificate_merge.h"
#include "crypto/certificate_pem.h"
#include "crypto/certificate_request.h"
#include "crypto/pkcs12.h"
#include "vault/certificate_service.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::CertificateOperationStatus;
using model::ObjectKind;

namespace {

constexpr ObjectKind kKind = ObjectKind::kCertificate;
constexpr char kPemContentType[] = "application/x-pem-file";

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

Status Conflict(std::string message) { return AlreadyExistsError(std::move(message), "Conflict"); }

StatusOr<crypto::KeyMaterial> GenerateKey(const model::CertificatePolicy& policy) {
  if (policy.IsEc()) return crypto::KeyMaterial::GenerateEc(policy.curve);
  return crypto::KeyMaterial::GenerateRsa(policy.key_size);
}

// The certificate version of an issued leaf: validity as nbf/exp.
StatusOr<model::CertificateVersion> IssuedVersion(std::string id,
                                                  const crypto::CertificateChain& chain,
                                                  bool enabled, model::Tags tags, UnixSeconds now) {
  ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::InspectCertificate(chain.leaf_der));
  model::CertificateVersion v;
  v.version = std::move(id);
  v.cer = chain.leaf_der;
  v.chain = chain.chain_der;
  v.tags = std::move(tags);
  v.attributes.enabled = enabled;
  v.attributes.not_before = info.not_before;
  v.attributes.expires = info.not_after;
  v.attributes.created = now;
  v.attributes.updated = now;
  return v;
}

// 409 when a key or secret that no certificate manages holds `name`.
template <typename V>
Status RefusePlain(barrier::Txn& t, const ObjectStore<V>& store, const ObjectLocation& loc,
                   std::string_view name) {
  ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
  if (!head) return OkStatus();
  ASSIGN_OR_RETURN(auto latest, store.ReadLatest(t, loc, name));
  if (latest.version.managed) return OkStatus();
  std::string word(model::ObjectKindName(store.kind()));
  return Conflict("A " + word + " named '" + std::string(name) + "' already exists; a " +
                  "certificate cannot use the name of a " + word + " it does not manage.");
}

}  // namespace

crypto::X509Profile X509ProfileOf(const model::CertificatePolicy& policy) {
  crypto::X509Profile p;
  p.subject = policy.subject;
  p.sans.dns_names = policy.sans.dns_names;
  p.sans.emails = policy.sans.emails;
  p.sans.upns = policy.sans.upns;
  p.sans.uris = policy.sans.uris;
  p.sans.ip_addresses = policy.sans.ip_addresses;
  p.key_usage = policy.key_usage;
  p.ekus = policy.ekus;
  p.validity_months = policy.validity_months;
  return p;
}

Status CertificateService::CheckCreatable(barrier::Txn& t, const Locations& locs,
                                          std::string_view name, bool check_operation) const {
  RETURN_IF_ERROR(RefusePlain(t, key_store_, locs.key, name));
  RETURN_IF_ERROR(RefusePlain(t, secret_store_, locs.secret, name));
  if (!check_operation) return OkStatus();
  ASSIGN_OR_RETURN(auto op, ReadOperation(t, locs.cert));
  if (op && op->status == CertificateOperationStatus::kInProgress) {
    return Conflict("A new key vault certificate can not be created or imported while a pending "
                    "key vault certificate's status is inProgress.");
  }
  return OkStatus();
}

Status CertificateService::WriteManaged(barrier::Txn& t, TxnEffects& effects, const Locations& locs,
                                        std::string_view name,
                                        const model::CertificateVersion& cert,
                                        const model::CertificatePolicy& policy,
                                        const crypto::KeyMaterial& key,
                                        const crypto::CertificateChain& chain) const {
  model::KeyVersion k;
  k.version = cert.version;
  k.kty = policy.kty;
  k.key_ops = model::KeyOpsForKeyUsage(policy.key_usage);
  k.attributes = cert.attributes;
  k.exportable = policy.exportable;
  k.managed = true;
  ASSIGN_OR_RETURN(k.material, key.Serialize());
  RETURN_IF_ERROR(key_store_.AddVersion(t, effects, locs.key, name, std::move(k)).status());

  model::SecretVersion s;
  s.version = cert.version;
  s.content_type = policy.content_type;
  s.attributes = cert.attributes;
  s.managed = true;
  s.key_id = cert.version;
  if (policy.content_type == kPemContentType) {
    ASSIGN_OR_RETURN(s.value, crypto::ExportPemBundle(key, chain));
  } else {
    ASSIGN_OR_RETURN(SecretBytes pfx, crypto::ExportPkcs12(key, chain));
    s.value = SecretBytes(EncodeBase64(pfx.view()));
  }
  return secret_store_.AddVersion(t, effects, locs.secret, name, std::move(s)).status();
}

StatusOr<CertificateOperationView> CertificateService::Create(const model::VaultRecord& vault,
                                                              std::string_view name,
                                                              CertificateCreateParams params) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  model::CertificatePolicy& policy = params.policy;
  RETURN_IF_ERROR(model::CompleteAndValidatePolicy(policy));
  bool self = EqualsIgnoreCase(policy.issuer_name, "Self");
  bool unknown = EqualsIgnoreCase(policy.issuer_name, "Unknown");
  std::string issuer_name = self ? "Self" : "Unknown";
  if (!self && !unknown) {
    // A configured issuer (a CA account): the request waits, with its CSR, for that CA. Coffer
    // has no CA integration, so it stays in progress until cancelled or deleted; merge is
    // refused for it, as in Azure.
    auto issuer = GetIssuer(vault, policy.issuer_name);
    if (!issuer.ok()) {
      if (issuer.status().code() != StatusCode::kNotFound) return issuer.status();
      return Bad("The issuer '" + policy.issuer_name.substr(0, 64) +
                 "' is not configured in this vault; use 'Self', 'Unknown' or a configured "
                 "issuer's name.");
    }
    issuer_name = issuer->name;
  }
  if (policy.subject.empty() && policy.sans.empty()) {
    return Bad("The policy's x509_props must have a subject or subject alternative names.");
  }
  RETURN_IF_ERROR(crypto::ValidateX509Profile(X509ProfileOf(policy)));
  if (params.tags) RETURN_IF_ERROR(ValidateTags(kKind, *params.tags));

  // A new version of an existing certificate keeps its key pair when the policy says reuse_key.
  std::optional<crypto::KeyMaterial> reuse;
  if (policy.reuse_key) {
    RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(reuse, ReusableKey(t, locs, name, "", policy));
      return OkStatus();
    }));
  }
  UnixSeconds now = clock_.Now();
  bool issue_now = self && options_.self_issuance_seconds <= 0;
  ASSIGN_OR_RETURN(NewVersion made,
                   MakeVersion(policy, issuer_name, params.tags.value_or(model::Tags{}),
                               params.enabled.value_or(true), std::move(reuse), now, issue_now));
  made.cert.preserve_cert_order = params.preserve_cert_order;
  policy.created = now;
  policy.updated = now;

  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::CertificateVersion>> {
    // The policy first: the new version's lifetime actions are scheduled from it.
    ASSIGN_OR_RETURN(auto old_policy, ReadPolicy(t, locs.cert));
    if (old_policy) policy.created = old_policy->created;
    RETURN_IF_ERROR(WritePolicy(t, locs.cert, policy));
    ASSIGN_OR_RETURN(auto written, WriteVersion(t, effects, locs, name, made, policy));
    if (self && !made.issued) {
      DueEntry due = DueEntry::IssueCertificate(now + options_.self_issuance_seconds,
                                                locs.cert.vault_id, locs.cert.mac);
      RETURN_IF_ERROR(t.Put(Keyspace::DueKey(due), SecretBytes()));
    }
    return written;
  };
  ASSIGN_OR_RETURN(auto added, WriteInTxn(barrier_, write));
  made.op.key_material.Wipe();
  return CertificateOperationView{std::move(added.head.name), std::move(made.op),
                                  params.preserve_cert_order};
}

StatusOr<CertificateService::NewVersion> CertificateService::MakeVersion(
    const model::CertificatePolicy& policy, const std::string& issuer_name, model::Tags tags,
    bool enabled, std::optional<crypto::KeyMaterial> reuse, UnixSeconds now,
    bool issue_now) const {
  crypto::X509Profile profile = X509ProfileOf(policy);
  NewVersion made;
  if (reuse) {
    made.key = std::move(reuse);
  } else {
    ASSIGN_OR_RETURN(made.key, GenerateKey(policy));
  }
  std::string id = EncodeHex(rng_.Bytes(16));
  made.op.version = id;
  made.op.issuer_name = issuer_name;
  made.op.created = now;
  made.issued = issuer_name == "Self" && issue_now;
  if (made.issued) {
    ASSIGN_OR_RETURN(made.chain.leaf_der, crypto::IssueSelfSignedCertificate(profile, *made.key,
                                                                             now));
    ASSIGN_OR_RETURN(made.cert, IssuedVersion(id, made.chain, enabled, std::move(tags), now));
    made.op.status = CertificateOperationStatus::kCompleted;
  } else {
    ASSIGN_OR_RETURN(crypto::CertificateRequest csr,
                     crypto::CreateCertificateRequest(profile, *made.key));
    made.op.csr = csr.base64;
    ASSIGN_OR_RETURN(made.op.key_material, made.key->Serialize());
    made.op.enabled_when_issued = enabled;
    made.cert.version = id;
    made.cert.tags = std::move(tags);
    made.cert.attributes.enabled = false;  // until issued or merged
    made.cert.attributes.created = now;
    made.cert.attributes.updated = now;
  }
  return made;
}

StatusOr<StoredObject<model::CertificateVersion>> CertificateService::WriteVersion(
    barrier::Txn& t, TxnEffects& effects, const Locations& locs, std::string_view name,
    NewVersion& made, const model::CertificatePolicy& policy) const {
  RETURN_IF_ERROR(CheckCreatable(t, locs, name));
  ASSIGN_OR_RETURN(auto stored, store_.AddVersion(t, effects, locs.cert, name, made.cert));
  if (made.issued) {
    RETURN_IF_ERROR(
        WriteManaged(t, effects, locs, name, made.cert, policy, *made.key, made.chain));
  }
  RETURN_IF_ERROR(WriteOperation(t, locs.cert, made.op));
  return stored;
}

StatusOr<std::optional<crypto::KeyMaterial>> CertificateService::ReusableKey(
    barrier::Txn& t, const Locations& locs, std::string_view name, std::string_view version,
    const model::CertificatePolicy& policy) const {
  std::optional<crypto::KeyMaterial> none;
  if (!policy.reuse_key) return none;
  ASSIGN_OR_RETURN(auto head, ReadHead(t, locs.key.live_key));
  if (!head) return none;
  auto found = key_store_.ReadLive(t, locs.key, name, version);
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) return none;
    return found.status();
  }
  if (!found->version.managed) return none;
  ASSIGN_OR_RETURN(crypto::KeyMaterial key,
                   crypto::KeyMaterial::Deserialize(found->version.material.view()));
  bool fits = policy.IsEc() ? key.type() == crypto::KeyType::kEc && key.curve() == policy.curve
                            : key.type() == crypto::KeyType::kRsa && key.bits() == policy.key_size;
  if (!fits) return none;  // the policy changed the key type or size: a new pair it is
  return std::optional<crypto::KeyMaterial>(std::move(key));
}

StatusOr<CertificateView> CertificateService::Merge(const model::VaultRecord& vault,
                                                    std::string_view name,
                                                    const std::vector<std::string>& x5c,
                                                    const std::optional<model::Tags>& tags,
                                                    std::optional<bool> enabled) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  if (tags) RETURN_IF_ERROR(ValidateTags(kKind, *tags));
  UnixSeconds now = clock_.Now();
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects)
                                  -> StatusOr<CertificateView> {
    RETURN_IF_ERROR(store_.ReadLiveHead(t, locs.cert, name).status());
    ASSIGN_OR_RETURN(auto op, ReadOperation(t, locs.cert));
    if (!op || op->status != CertificateOperationStatus::kInProgress) {
      return NotFoundError("Pending certificate not found: " + std::string(name),
                           "PendingCertificateNotFound");
    }
    if (op->issuer_name != "Unknown") {
      return PermissionDeniedError("Merge is forbidden on pending object created with issuer " +
                                       op->issuer_name + ".",
                                   "Forbidden");
    }
    ASSIGN_OR_RETURN(crypto::KeyMaterial key,
                     crypto::KeyMaterial::Deserialize(op->key_material.view()));
    ASSIGN_OR_RETURN(crypto::CertificateChain chain, crypto::MergeCertificateChain(key, x5c));
    ASSIGN_OR_RETURN(auto updated, CompletePending(t, effects, locs, name, *op, key, chain, tags,
                                                   enabled.value_or(true), now));
    return FullView(t, locs.cert, std::move(updated));
  });
}

StatusOr<StoredObject<model::CertificateVersion>> CertificateService::CompletePending(
    barrier::Txn& t, TxnEffects& effects, const Locations& locs, std::string_view name,
    model::CertificateOperation& op, const crypto::KeyMaterial& key,
    const crypto::CertificateChain& chain, const std::optional<model::Tags>& tags, bool enabled,
    UnixSeconds now) const {
  ASSIGN_OR_RETURN(auto pending, store_.ReadLive(t, locs.cert, name, op.version));
  ASSIGN_OR_RETURN(model::CertificateVersion issued,
                   IssuedVersion(op.version, chain, enabled, tags.value_or(pending.version.tags),
                                 now));
  issued.attributes.created = pending.version.attributes.created;
  issued.preserve_cert_order = pending.version.preserve_cert_order;
  ASSIGN_OR_RETURN(auto policy, ReadPolicy(t, locs.cert));
  if (!policy) return DataLossError("certificate has no policy");
  ASSIGN_OR_RETURN(auto updated, store_.UpdateVersion(t, effects, locs.cert, name, op.version,
                                                      [&](model::CertificateVersion& v) {
                                                        uint64_t seq = v.sequence;
                                                        v = issued;
                                                        v.sequence = seq;
                                                      }));
  RETURN_IF_ERROR(CheckCreatable(t, locs, name, /*check_operation=*/false));
  RETURN_IF_ERROR(WriteManaged(t, effects, locs, name, updated.version, *policy, key, chain));
  op.status = CertificateOperationStatus::kCompleted;
  op.key_material.Wipe();
  RETURN_IF_ERROR(WriteOperation(t, locs.cert, op));
  return updated;
}

Status CertificateService::IssuePending(const model::VaultRecord& vault, std::string_view mac,
                                        std::string_view due_key, UnixSeconds now) {
  ObjectLocation loc = Keyspace::At(vault.id, kKind, mac);
  // Ends the operation as failed (and drops the entry) with `why`.
  auto fail = [&](std::string code, std::string why) -> Status {
    return barrier_.Update([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(auto op, ReadOperation(t, loc));
      if (op && op->status == CertificateOperationStatus::kInProgress) {
        op->status = CertificateOperationStatus::kFailed;
        op->error_code = code;
        op->error_message = why;
        op->key_material.Wipe();
        RETURN_IF_ERROR(WriteOperation(t, loc, *op));
      }
      return t.Delete(due_key);
    });
  };
  bool deleted = false;
  Status issued = UpdateWithEffects(barrier_, [&](barrier::Txn& t, TxnEffects& effects) -> Status {
    deleted = false;  // afresh on each run: an engine may run this more than once
    ASSIGN_OR_RETURN(auto op, ReadOperation(t, loc));
    if (!op || op->status != CertificateOperationStatus::kInProgress || op->issuer_name != "Self") {
      return t.Delete(due_key);  // cancelled, deleted or already issued: nothing to do
    }
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) {
      deleted = true;  // soft-deleted first: a recovered certificate must not wait for ever
      return OkStatus();
    }
    std::string name = head->name;
    ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
    ASSIGN_OR_RETURN(auto policy, ReadPolicy(t, locs.cert));
    if (!policy) return DataLossError("certificate has no policy");
    ASSIGN_OR_RETURN(crypto::KeyMaterial key,
                     crypto::KeyMaterial::Deserialize(op->key_material.view()));
    crypto::CertificateChain chain;
    ASSIGN_OR_RETURN(chain.leaf_der,
                     crypto::IssueSelfSignedCertificate(X509ProfileOf(*policy), key, now));
    RETURN_IF_ERROR(CompletePending(t, effects, locs, name, *op, key, chain, std::nullopt,
                                    op->enabled_when_issued, now)
                        .status());
    return t.Delete(due_key);
  });
  if (deleted) {
    return fail("CertificateDeleted", "The certificate was deleted before it was issued.");
  }
  if (issued.ok() || issued.code() == StatusCode::kUnavailable) return issued;
  // Not a passing failure (the policy no longer makes a valid certificate, a plain key or
  // secret took the name): the operation reports it instead of being retried every pass.
  return fail(std::string(issued.reason().empty() ? "IssuanceFailed" : issued.reason()),
              issued.message());
}

}  // namespace coffer::vault
