#include "api/key_json.h"

#include "api/object_json.h"
#include "core/encoding.h"

namespace coffer::api {

Json KeyAttributesJson(const model::KeyVersion& v, const model::VaultRecord& vault) {
  Json j = AttributesJson(v.attributes, vault);
  j["exportable"] = v.exportable;
  return j;
}

Json KeyJwkJson(std::string_view origin, const vault::KeyView& k) {
  Json j;
  j["kid"] = std::string(origin) + "/keys/" + k.name + "/" + k.version.version;
  j["kty"] = k.version.kty;
  j["key_ops"] = k.version.key_ops;
  const crypto::JwkParts& p = k.public_key;
  if (!p.n.empty()) {
    j["n"] = EncodeBase64Url(p.n);
    j["e"] = EncodeBase64Url(p.e);
  }
  if (!p.crv.empty()) {
    j["crv"] = p.crv;
    j["x"] = EncodeBase64Url(p.x);
    j["y"] = EncodeBase64Url(p.y);
  }
  return j;  // never d, p, q, dp, dq, qi or k
}

Json KeyBundleJson(std::string_view origin, const model::VaultRecord& vault,
                   const vault::KeyView& k) {
  Json j;
  j["key"] = KeyJwkJson(origin, k);
  j["attributes"] = KeyAttributesJson(k.version, vault);
  j["tags"] = k.version.tags;
  if (k.version.managed) j["managed"] = true;
  if (k.version.release_policy) {
    const model::KeyReleasePolicy& rp = *k.version.release_policy;
    j["release_policy"] = {{"contentType", rp.content_type},
                           {"data", EncodeBase64Url(rp.data)},
                           {"immutable", rp.immutable}};
  }
  AddDeletedJson(j, origin, "deletedkeys", k.name, k.deleted);
  return j;
}

}  // namespace coffer::api
