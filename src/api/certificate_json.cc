#include "api/certificate_json.h"

#include "core/encoding.h"

namespace coffer::api {
namespace {

using model::CertificateActionType;
using model::CertificateLifetimeAction;
using model::CertificatePolicy;

Status ReadStringList(const Json& obj, const char* field, const std::string& where,
                      std::vector<std::string>* out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return OkStatus();
  if (!it->is_array() || it->size() > 256) {
    return FieldTypeError(where + "." + field, "an array of strings");
  }
  out->clear();
  for (const Json& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 1024) {
      return FieldTypeError(where + "." + field, "an array of strings");
    }
    out->push_back(v.get<std::string>());
  }
  return OkStatus();
}

StatusOr<std::optional<int>> OptSmallInt(const Json& obj, const char* field,
                                         const std::string& where) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, OptInt(obj, field));
  if (!v) return std::optional<int>();
  if (*v < -1'000'000 || *v > 1'000'000) {
    return InvalidArgumentError(where + "." + field + " is out of range.", "BadParameter");
  }
  return std::optional<int>(static_cast<int>(*v));
}

Status ReadLifetimeActions(const Json& array, std::vector<CertificateLifetimeAction>* out) {
  if (!array.is_array() || array.size() > 16) {
    return FieldTypeError("lifetime_actions", "an array of lifetime actions");
  }
  out->clear();
  for (size_t i = 0; i < array.size(); ++i) {
    std::string where = "lifetime_actions[" + std::to_string(i) + "]";
    const Json& item = array[i];
    if (!item.is_object()) return FieldTypeError(where, "an object with trigger and action");
    CertificateLifetimeAction a;
    ASSIGN_OR_RETURN(const Json* trigger, OptObject(item, "trigger"));
    if (trigger != nullptr) {
      ASSIGN_OR_RETURN(a.lifetime_percentage,
                       OptSmallInt(*trigger, "lifetime_percentage", where + ".trigger"));
      ASSIGN_OR_RETURN(a.days_before_expiry,
                       OptSmallInt(*trigger, "days_before_expiry", where + ".trigger"));
    }
    ASSIGN_OR_RETURN(const Json* action, OptObject(item, "action"));
    std::optional<std::string> type;
    if (action != nullptr) {
      ASSIGN_OR_RETURN(type, OptString(*action, "action_type"));
    }
    if (!type) {
      return InvalidArgumentError(where + ".action.action_type is required (AutoRenew or "
                                          "EmailContacts).",
                                  "BadParameter");
    }
    if (EqualsIgnoreCase(*type, "AutoRenew")) {
      a.action = CertificateActionType::kAutoRenew;
    } else if (EqualsIgnoreCase(*type, "EmailContacts")) {
      a.action = CertificateActionType::kEmailContacts;
    } else {
      return InvalidArgumentError(where + ".action.action_type must be AutoRenew or "
                                          "EmailContacts.",
                                  "BadParameter");
    }
    out->push_back(a);
  }
  return OkStatus();
}

}  // namespace

Status ReadCertificatePolicy(const Json& json, bool creating, CertificatePolicy* p) {
  if (!json.is_object()) return FieldTypeError("policy", "an object");
  ASSIGN_OR_RETURN(const Json* key, OptObject(json, "key_props"));
  if (key != nullptr) {
    ASSIGN_OR_RETURN(auto kty, OptString(*key, "kty"));
    if (kty) {
      // A new key type drops the old one's size and curve unless they come along.
      if (!EqualsIgnoreCase(*kty, p->kty)) {
        p->curve.clear();
        p->key_size = kty->starts_with("EC") || kty->starts_with("ec") ? 0 : 2048;
      }
      p->kty = *kty;
    }
    ASSIGN_OR_RETURN(auto size, OptSmallInt(*key, "key_size", "key_props"));
    if (size) p->key_size = *size;
    ASSIGN_OR_RETURN(auto crv, OptString(*key, "crv"));
    if (crv) p->curve = *crv;
    ASSIGN_OR_RETURN(auto exportable, OptBool(*key, "exportable"));
    if (exportable) p->exportable = *exportable;
    if (kty && !exportable && p->IsHsm()) p->exportable = false;
    ASSIGN_OR_RETURN(auto reuse, OptBool(*key, "reuse_key"));
    if (reuse) p->reuse_key = *reuse;
  }
  ASSIGN_OR_RETURN(const Json* secret, OptObject(json, "secret_props"));
  if (secret != nullptr) {
    ASSIGN_OR_RETURN(auto ct, OptString(*secret, "contentType"));
    if (ct) p->content_type = *ct;
  }
  ASSIGN_OR_RETURN(const Json* x509, OptObject(json, "x509_props"));
  if (x509 != nullptr) {
    ASSIGN_OR_RETURN(auto subject, OptString(*x509, "subject"));
    if (subject) p->subject = *subject;
    ASSIGN_OR_RETURN(const Json* sans, OptObject(*x509, "sans"));
    if (sans != nullptr) {
      p->sans_present = true;
      RETURN_IF_ERROR(ReadStringList(*sans, "emails", "x509_props.sans", &p->sans.emails));
      RETURN_IF_ERROR(ReadStringList(*sans, "dns_names", "x509_props.sans", &p->sans.dns_names));
      RETURN_IF_ERROR(ReadStringList(*sans, "upns", "x509_props.sans", &p->sans.upns));
      RETURN_IF_ERROR(ReadStringList(*sans, "uris", "x509_props.sans", &p->sans.uris));
      RETURN_IF_ERROR(
          ReadStringList(*sans, "ipAddresses", "x509_props.sans", &p->sans.ip_addresses));
    }
    RETURN_IF_ERROR(ReadStringList(*x509, "ekus", "x509_props", &p->ekus));
    RETURN_IF_ERROR(ReadStringList(*x509, "key_usage", "x509_props", &p->key_usage));
    ASSIGN_OR_RETURN(auto months, OptSmallInt(*x509, "validity_months", "x509_props"));
    if (months) p->validity_months = *months;
  }
  ASSIGN_OR_RETURN(const Json* issuer, OptObject(json, "issuer"));
  if (issuer != nullptr) {
    ASSIGN_OR_RETURN(auto name, OptString(*issuer, "name"));
    if (name) p->issuer_name = *name;
    ASSIGN_OR_RETURN(auto cty, OptString(*issuer, "cty"));
    if (cty) p->certificate_type = *cty;
    ASSIGN_OR_RETURN(auto ct, OptBool(*issuer, "cert_transparency"));
    if (ct) p->cert_transparency = *ct;
  }
  if (auto it = json.find("lifetime_actions"); it != json.end() && !it->is_null()) {
    RETURN_IF_ERROR(ReadLifetimeActions(*it, &p->lifetime_actions));
  } else if (creating) {
    p->lifetime_actions = model::DefaultLifetimeActions(p->issuer_name);
  }
  ASSIGN_OR_RETURN(const Json* attributes, OptObject(json, "attributes"));
  if (attributes != nullptr) {
    ASSIGN_OR_RETURN(auto enabled, OptBool(*attributes, "enabled"));
    if (enabled) p->enabled = *enabled;
  }
  if (p->IsEc() && p->key_size == 0) p->key_size = 256;
  return model::CompleteAndValidatePolicy(*p);
}

Json CertificatePolicyJson(const CertificatePolicy& p, const std::string& id) {
  Json key = {{"exportable", p.exportable},
              {"kty", p.kty},
              {"key_size", p.key_size},
              {"reuse_key", p.reuse_key}};
  if (!p.curve.empty()) key["crv"] = p.curve;
  Json x509 = {{"subject", p.subject},
               {"ekus", p.ekus},
               {"key_usage", p.key_usage},
               {"validity_months", p.validity_months},
               {"basic_constraints", {{"ca", false}}}};
  if (p.sans_present) {
    Json sans = Json::object();
    if (!p.sans.emails.empty()) sans["emails"] = p.sans.emails;
    if (!p.sans.dns_names.empty()) sans["dns_names"] = p.sans.dns_names;
    if (!p.sans.upns.empty()) sans["upns"] = p.sans.upns;
    if (!p.sans.uris.empty()) sans["uris"] = p.sans.uris;
    if (!p.sans.ip_addresses.empty()) sans["ipAddresses"] = p.sans.ip_addresses;
    x509["sans"] = sans;
  }
  Json actions = Json::array();
  for (const CertificateLifetimeAction& a : p.lifetime_actions) {
    Json trigger = a.lifetime_percentage
                       ? Json{{"lifetime_percentage", *a.lifetime_percentage}}
                       : Json{{"days_before_expiry", *a.days_before_expiry}};
    actions.push_back(
        {{"trigger", trigger},
         {"action",
          {{"action_type", a.action == CertificateActionType::kAutoRenew ? "AutoRenew"
                                                                         : "EmailContacts"}}}});
  }
  Json issuer = {{"name", p.issuer_name}};
  if (!p.certificate_type.empty()) issuer["cty"] = p.certificate_type;
  if (p.cert_transparency) issuer["cert_transparency"] = *p.cert_transparency;
  return Json{{"id", id},
              {"key_props", key},
              {"secret_props", {{"contentType", p.content_type}}},
              {"x509_props", x509},
              {"lifetime_actions", actions},
              {"issuer", issuer},
              {"attributes",
               {{"enabled", p.enabled}, {"created", p.created}, {"updated", p.updated}}}};
}

}  // namespace coffer::api
