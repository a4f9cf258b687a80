#include "model/certificate_policy.h"

#include <algorithm>

#include "core/encoding.h"
#include "core/record_codec.h"

namespace coffer::model {
namespace {

constexpr uint8_t kPolicyRecordType = 0x15;
constexpr uint8_t kFormatV1 = 1;
constexpr size_t kMaxListItems = 256;
constexpr size_t kMaxItemBytes = 1024;

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }

bool IsOid(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.back() == '.') return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.') {
      if (dot) return false;
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    } else {
      dot = false;
    }
  }
  return s.find('.') != std::string_view::npos;
}


}  // namespace

std::vector<std::string> DefaultKeyUsage(std::string_view kty) {
  if (kty.starts_with("EC")) return {"digitalSignature"};
  return {"digitalSignature", "keyEncipherment"};
}

std::vector<CertificateLifetimeAction> DefaultLifetimeActions(std::string_view issuer_name) {
  CertificateLifetimeAction a;
  a.lifetime_percentage = 80;
  a.action = EqualsIgnoreCase(issuer_name, "Self") ? CertificateActionType::kAutoRenew
                                                   : CertificateActionType::kEmailContacts;
  return {a};
}

std::vector<std::string> KeyOpsForKeyUsage(const std::vector<std::string>& key_usage) {
  bool sign = false, wrap = false, enc = false, dec = false;
  for (const auto& u : key_usage) {
    if (u == "digitalSignature" || u == "nonRepudiation" || u == "keyCertSign" ||
        u == "cRLSign") {
      sign = true;
    } else if (u == "keyEncipherment") {
      wrap = true;
    } else if (u == "dataEncipherment") {
      enc = dec = true;
    } else if (u == "encipherOnly") {
      enc = true;
    } else if (u == "decipherOnly") {
      dec = true;
    }
  }
  std::vector<std::string> ops;
  if (sign) ops.insert(ops.end(), {"sign", "verify"});
  if (wrap) ops.insert(ops.end(), {"wrapKey", "unwrapKey"});
  if (enc) ops.push_back("encrypt");
  if (dec) ops.push_back("decrypt");
  return ops;
}

Status CompleteAndValidatePolicy(CertificatePolicy& p) {
  static constexpr std::string_view kKtys[] = {"RSA", "RSA-HSM", "EC", "EC-HSM"};
  auto kty = std::find_if(std::begin(kKtys), std::end(kKtys),
                          [&](std::string_view k) { return EqualsIgnoreCase(k, p.kty); });
  if (kty == std::end(kKtys)) {
    return Bad("key_props.kty '" + p.kty.substr(0, 32) +
               "' is not supported for certificates; use RSA, RSA-HSM, EC or EC-HSM.");
  }
  p.kty = std::string(*kty);
  if (p.IsEc()) {
    if (p.curve.empty()) {
      p.curve = p.key_size == 384 ? "P-384" : p.key_size == 521 ? "P-521" : "P-256";
    }
    static constexpr std::pair<std::string_view, int> kCurves[] = {
        {"P-256", 256}, {"P-384", 384}, {"P-521", 521}, {"P-256K", 256}};
    auto curve = std::find_if(std::begin(kCurves), std::end(kCurves),
                              [&](const auto& c) { return EqualsIgnoreCase(c.first, p.curve); });
    if (curve == std::end(kCurves)) {
      return Bad("key_props.crv '" + p.curve.substr(0, 32) +
                 "' is not supported; use P-256, P-384, P-521 or P-256K.");
    }
    p.curve = std::string(curve->first);
    p.key_size = curve->second;
  } else {
    if (!p.curve.empty()) return Bad("key_props.crv applies only to EC keys.");
    if (p.key_size != 2048 && p.key_size != 3072 && p.key_size != 4096) {
      return Bad("key_props.key_size " + std::to_string(p.key_size) +
                 " is not supported for RSA; use 2048, 3072 or 4096.");
    }
  }
  if (p.IsHsm() && p.exportable) {
    return Bad("key_props.exportable cannot be true for an HSM key (" + p.kty + ").");
  }
  if (p.content_type != "application/x-pkcs12" && p.content_type != "application/x-pem-file") {
    return Bad("secret_props.contentType must be application/x-pkcs12 or "
               "application/x-pem-file.");
  }
  if (p.subject.empty() && p.sans.empty() && EqualsIgnoreCase(p.issuer_name, "Self")) {
    return Bad("x509_props needs a subject or subject alternative names.");
  }
  if (p.subject.size() > 1024) return Bad("x509_props.subject is longer than 1024 characters.");
  if (p.validity_months < 1 || p.validity_months > 1200) {
    return Bad("x509_props.validity_months must be from 1 to 1200.");
  }
  if (p.key_usage.empty()) p.key_usage = DefaultKeyUsage(p.kty);
  for (std::string& u : p.key_usage) {
    auto known = std::find_if(std::begin(kKeyUsages), std::end(kKeyUsages),
                              [&](std::string_view k) { return EqualsIgnoreCase(k, u); });
    if (known == std::end(kKeyUsages)) {
      return Bad("x509_props.key_usage '" + u.substr(0, 32) + "' is not a key usage Azure knows.");
    }
    u = std::string(*known);
  }
  for (const std::string& e : p.ekus) {
    if (!IsOid(e)) return Bad("x509_props.ekus '" + e.substr(0, 64) + "' is not an OID.");
  }
  if (p.issuer_name.empty() || p.issuer_name.size() > 256) {
    return Bad("issuer.name must be Self, Unknown or the name of a certificate issuer.");
  }
  if (EqualsIgnoreCase(p.issuer_name, "Self")) p.issuer_name = "Self";
  if (EqualsIgnoreCase(p.issuer_name, "Unknown")) p.issuer_name = "Unknown";
  if (p.lifetime_actions.size() > 2) return Bad("lifetime_actions has at most two actions.");
  bool seen[3] = {false, false, false};
  for (const CertificateLifetimeAction& a : p.lifetime_actions) {
    if (a.lifetime_percentage.has_value() == a.days_before_expiry.has_value()) {
      return Bad("each lifetime action needs exactly one of trigger.lifetime_percentage and "
                 "trigger.days_before_expiry.");
    }
    if (a.lifetime_percentage && (*a.lifetime_percentage < 1 || *a.lifetime_percentage > 99)) {
      return Bad("trigger.lifetime_percentage must be from 1 to 99.");
    }
    if (a.days_before_expiry &&
        (*a.days_before_expiry < 1 || *a.days_before_expiry > p.validity_months * 27)) {
      return Bad("trigger.days_before_expiry must be from 1 to " +
                 std::to_string(p.validity_months * 27) + " (validity_months × 27).");
    }
    auto index = static_cast<size_t>(a.action);
    if (seen[index]) return Bad("lifetime_actions has the same action_type twice.");
    seen[index] = true;
  }
  return OkStatus();
}

SecretBytes EncodeCertificatePolicy(const CertificatePolicy& p) {
  RecordWriter w;
  w.U8(kPolicyRecordType);
  w.U8(kFormatV1);
  w.Bytes(p.kty);
  w.U32(static_cast<uint32_t>(p.key_size));
  w.Bytes(p.curve);
  w.Bool(p.exportable);
  w.Bool(p.reuse_key);
  w.Bytes(p.content_type);
  w.Bytes(p.subject);
  w.Bool(p.sans_present);
  for (const auto* list : {&p.sans.emails, &p.sans.dns_names, &p.sans.upns, &p.sans.uris,
                           &p.sans.ip_addresses, &p.ekus, &p.key_usage}) {
    w.StringList(*list);
  }
  w.U32(static_cast<uint32_t>(p.validity_months));
  w.Bytes(p.issuer_name);
  w.Bytes(p.certificate_type);
  w.U8(p.cert_transparency ? (*p.cert_transparency ? 2 : 1) : 0);
  w.U32(static_cast<uint32_t>(p.lifetime_actions.size()));
  for (const auto& a : p.lifetime_actions) {
    w.U8(a.lifetime_percentage ? 1 : 2);
    w.U32(static_cast<uint32_t>(a.lifetime_percentage ? *a.lifetime_percentage
                                                       : *a.days_before_expiry));
    w.U8(static_cast<uint8_t>(a.action));
  }
  w.Bool(p.enabled);
  w.I64(p.created);
  w.I64(p.updated);
  return w.Finish();
}

StatusOr<CertificatePolicy> DecodeCertificatePolicy(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kPolicyRecordType || format != kFormatV1) {
    return DataLossError("certificate policy record has an unknown type or format");
  }
  CertificatePolicy p;
  uint32_t u = 0;
  RETURN_IF_ERROR(r.String(&p.kty, 16));
  RETURN_IF_ERROR(r.U32(&u));
  p.key_size = static_cast<int>(u);
  RETURN_IF_ERROR(r.String(&p.curve, 16));
  RETURN_IF_ERROR(r.Bool(&p.exportable));
  RETURN_IF_ERROR(r.Bool(&p.reuse_key));
  RETURN_IF_ERROR(r.String(&p.content_type, 64));
  RETURN_IF_ERROR(r.String(&p.subject, 4096));
  RETURN_IF_ERROR(r.Bool(&p.sans_present));
  for (auto* list : {&p.sans.emails, &p.sans.dns_names, &p.sans.upns, &p.sans.uris,
                     &p.sans.ip_addresses, &p.ekus, &p.key_usage}) {
    RETURN_IF_ERROR(r.StringList(list, kMaxListItems, kMaxItemBytes));
  }
  RETURN_IF_ERROR(r.U32(&u));
  p.validity_months = static_cast<int>(u);
  RETURN_IF_ERROR(r.String(&p.issuer_name, 256));
  RETURN_IF_ERROR(r.String(&p.certificate_type, 256));
  uint8_t ct = 0;
  RETURN_IF_ERROR(r.U8(&ct));
  if (ct > 2) return DataLossError("certificate policy: bad cert_transparency");
  if (ct != 0) p.cert_transparency = ct == 2;
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > 16) return DataLossError("certificate policy: too many lifetime actions");
  p.lifetime_actions.resize(n);
  for (auto& a : p.lifetime_actions) {
    uint8_t trigger = 0, action = 0;
    RETURN_IF_ERROR(r.U8(&trigger));
    RETURN_IF_ERROR(r.U32(&u));
    RETURN_IF_ERROR(r.U8(&action));
    if ((trigger != 1 && trigger != 2) || (action != 1 && action != 2)) {
      return DataLossError("certificate policy: bad lifetime action");
    }
    if (trigger == 1) a.lifetime_percentage = static_cast<int>(u);
    else a.days_before_expiry = static_cast<int>(u);
    a.action = static_cast<CertificateActionType>(action);
  }
  RETURN_IF_ERROR(r.Bool(&p.enabled));
  RETURN_IF_ERROR(r.I64(&p.created));
  RETURN_IF_ERROR(r.I64(&p.updated));
  RETURN_IF_ERROR(r.ExpectEnd());
  return p;
}

}  // namespace coffer::model
