// CertificateService: creation (Self issues at once; Unknown stores a pending version and a
// CSR), merge of a pending version, and import of a PFX or PEM bundle. Each writes the
// certificate version, its managed key and secret, the policy and the operation in ONE barrier
// transaction: a failure writes nothing.
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
  crypto::X509Profile profile = X509ProfileOf(policy);
  RETURN_IF_ERROR(crypto::ValidateX509Profile(profile));
  if (params.tags) RETURN_IF_ERROR(ValidateTags(kKind, *params.tags));

  UnixSeconds now = clock_.Now();
  ASSIGN_OR_RETURN(crypto::KeyMaterial key, GenerateKey(policy));
  std::string id = EncodeHex(rng_.Bytes(16));
  model::CertificateOperation op;
  op.version = id;
  op.issuer_name = issuer_name;
  op.created = now;
  model::CertificateVersion cert;
  crypto::CertificateChain chain;
  if (self) {
    ASSIGN_OR_RETURN(chain.leaf_der, crypto::IssueSelfSignedCertificate(profile, key, now));
    ASSIGN_OR_RETURN(cert, IssuedVersion(id, chain, params.enabled.value_or(true),
                                         params.tags.value_or(model::Tags{}), now));
    op.status = CertificateOperationStatus::kCompleted;
  } else {
    ASSIGN_OR_RETURN(crypto::CertificateRequest csr,
                     crypto::CreateCertificateRequest(profile, key));
    op.csr = csr.base64;
    ASSIGN_OR_RETURN(op.key_material, key.Serialize());
    cert.version = id;
    cert.tags = params.tags.value_or(model::Tags{});
    cert.attributes.enabled = false;  // until merged
    cert.attributes.created = now;
    cert.attributes.updated = now;
  }
  cert.preserve_cert_order = params.preserve_cert_order;
  policy.created = now;
  policy.updated = now;

  auto write = [&](barrier::Txn& t,
                   TxnEffects& effects) -> StatusOr<StoredObject<model::CertificateVersion>> {
    RETURN_IF_ERROR(CheckCreatable(t, locs, name));
    ASSIGN_OR_RETURN(auto stored, store_.AddVersion(t, effects, locs.cert, name, cert));
    if (self) RETURN_IF_ERROR(WriteManaged(t, effects, locs, name, cert, policy, key, chain));
    ASSIGN_OR_RETURN(auto old_policy, ReadPolicy(t, locs.cert));
    if (old_policy) policy.created = old_policy->created;
    RETURN_IF_ERROR(WritePolicy(t, locs.cert, policy));
    RETURN_IF_ERROR(WriteOperation(t, locs.cert, op));
    return stored;
  };
  ASSIGN_OR_RETURN(auto added, WriteInTxn(barrier_, write));
  op.key_material.Wipe();
  return CertificateOperationView{std::move(added.head.name), std::move(op)};
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
    ASSIGN_OR_RETURN(auto pending, store_.ReadLive(t, locs.cert, name, op->version));
    ASSIGN_OR_RETURN(model::CertificateVersion issued,
                     IssuedVersion(op->version, chain, enabled.value_or(true),
                                   tags.value_or(pending.version.tags), now));
    issued.attributes.created = pending.version.attributes.created;
    issued.preserve_cert_order = pending.version.preserve_cert_order;
    ASSIGN_OR_RETURN(auto policy, ReadPolicy(t, locs.cert));
    if (!policy) return DataLossError("certificate has no policy");
    ASSIGN_OR_RETURN(auto updated, store_.UpdateVersion(t, effects, locs.cert, name, op->version,
                                                        [&](model::CertificateVersion& v) {
                                                          uint64_t seq = v.sequence;
                                                          v = issued;
                                                          v.sequence = seq;
                                                        }));
    RETURN_IF_ERROR(CheckCreatable(t, locs, name, /*check_operation=*/false));
    RETURN_IF_ERROR(WriteManaged(t, effects, locs, name, updated.version, *policy, key, chain));
    op->status = CertificateOperationStatus::kCompleted;
    op->key_material.Wipe();
    RETURN_IF_ERROR(WriteOperation(t, locs.cert, *op));
    return FullView(t, locs.cert, std::move(updated));
  });
}

}  // namespace coffer::vault
