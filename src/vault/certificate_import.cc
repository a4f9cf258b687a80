// CertificateService::Import: a PFX (base64) or PEM bundle becomes a certificate version with its
// managed key and secret and a policy derived from the certificate, in one transaction.
#include <algorithm>

#include "core/encoding.h"
#include "crypto/certificate_info.h"
#include "crypto/certificate_pem.h"
#include "crypto/pkcs12.h"
#include "vault/certificate_service.h"
#include "vault/object_records.h"

namespace coffer::vault {
namespace {

constexpr char kPemContentType[] = "application/x-pem-file";
constexpr char kPkcs12ContentType[] = "application/x-pkcs12";

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

StatusOr<crypto::ImportedCertificate> Open(const CertificateImportParams& params, bool pem) {
  if (params.value.empty()) return Bad("The certificate import needs a 'value'.");
  if (pem) return crypto::ImportPemBundle(params.value);
  std::optional<std::string> der = DecodeBase64(params.value);
  if (!der) {
    return Bad("The certificate 'value' is neither PEM nor base64 of a PKCS#12 (PFX) file.");
  }
  return crypto::ImportPkcs12(*der, params.password);
}

// The policy Azure reports for an imported certificate: the key's type and size, the
// certificate's X.509 properties, issuer Self when self-issued (else Unknown), and the given
// policy's key and secret properties when one came with the request.
model::CertificatePolicy DerivedPolicy(const crypto::ImportedCertificate& imported,
                                       const crypto::CertificateInfo& info, bool pem,
                                       const std::optional<model::CertificatePolicy>& given) {
  model::CertificatePolicy p;
  if (given) {
    p.exportable = given->exportable;
    p.reuse_key = given->reuse_key;
    p.content_type = given->content_type;
  } else {
    p.content_type = pem ? kPemContentType : kPkcs12ContentType;
  }
  if (imported.key.type() == crypto::KeyType::kEc) {
    p.kty = "EC";
    p.curve = imported.key.curve();
    p.key_size = p.curve == "P-384" ? 384 : p.curve == "P-521" ? 521 : 256;
  } else {
    p.kty = "RSA";
    p.key_size = imported.key.bits();
  }
  if (given && given->IsHsm()) p.kty += "-HSM";
  p.subject = info.subject;
  p.sans.dns_names = info.sans.dns_names;
  p.sans.emails = info.sans.emails;
  p.sans.upns = info.sans.upns;
  p.sans.uris = info.sans.uris;
  p.sans.ip_addresses = info.sans.ip_addresses;
  p.sans_present = !p.sans.empty();
  p.key_usage = info.key_usage;
  p.ekus = info.ekus;
  p.validity_months = std::clamp(crypto::DerivedValidityMonths(info.not_before, info.not_after),
                                 1, 1200);
  p.issuer_name = info.self_issued ? "Self" : "Unknown";
  p.lifetime_actions = model::DefaultLifetimeActions("Unknown");
  return p;
}

}  // namespace

StatusOr<CertificateView> CertificateService::Import(const model::VaultRecord& vault,
                                                     std::string_view name,
                                                     CertificateImportParams params) {
  ASSIGN_OR_RETURN(Locations locs, LocateAll(vault.id, name));
  if (params.tags) RETURN_IF_ERROR(ValidateTags(model::ObjectKind::kCertificate, *params.tags));
  bool pem = crypto::SniffCertificateImport(params.value) == crypto::CertificateImportFormat::kPem;
  ASSIGN_OR_RETURN(crypto::ImportedCertificate imported, Open(params, pem));
  ASSIGN_OR_RETURN(crypto::CertificateInfo info,
                   crypto::InspectCertificate(imported.chain.leaf_der));
  UnixSeconds now = clock_.Now();
  if (info.not_after <= now) {
    return Bad("The certificate expired on " + FormatRfc3339(info.not_after) +
               "; an expired certificate cannot be imported.");
  }
  model::CertificatePolicy policy = DerivedPolicy(imported, info, pem, params.policy);
  if (!model::CompleteAndValidatePolicy(policy).ok()) {
    // A certificate may carry what a policy may not (e.g. more key usages than Key Vault
    // names); keep the certificate's own values without Azure's defaults on top.
    policy.key_usage = info.key_usage;
  }
  policy.created = now;
  policy.updated = now;

  model::CertificateVersion cert;
  cert.version = EncodeHex(rng_.Bytes(16));
  cert.cer = imported.chain.leaf_der;
  cert.chain = imported.chain.chain_der;
  cert.tags = params.tags.value_or(model::Tags{});
  cert.attributes.enabled = params.enabled.value_or(true);
  cert.attributes.not_before = info.not_before;
  cert.attributes.expires = info.not_after;
  cert.attributes.created = now;
  cert.attributes.updated = now;
  cert.preserve_cert_order = params.preserve_cert_order;

  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects)
                                  -> StatusOr<CertificateView> {
    RETURN_IF_ERROR(CheckCreatable(t, locs, name));
    // The policy first: the new version's lifetime actions are scheduled from it.
    RETURN_IF_ERROR(WritePolicy(t, locs.cert, policy));
    ASSIGN_OR_RETURN(auto stored, store_.AddVersion(t, effects, locs.cert, name, cert));
    RETURN_IF_ERROR(WriteManaged(t, effects, locs, name, cert, policy, imported.key,
                                 imported.chain));
    return FullView(t, locs.cert, std::move(stored));
  });
}

}  // namespace coffer::vault
