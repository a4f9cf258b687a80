// Certificate contacts (AZURE_API.md Part 2 §A2): GET, PUT {contacts:[{email,name,phone}]} and
// DELETE on /certificates/contacts, all 200 with {id, contacts}; GET or DELETE when none are
// set → 404 ContactsNotFound "Contacts not found"; DELETE answers the removed list.
#include "api/errors.h"
#include "api/json_body.h"
#include "api/routes.h"

namespace coffer::api {
namespace {

http::Response ContactsResponse(const RequestContext& ctx,
                                const StatusOr<std::vector<model::CertificateContact>>& r) {
  if (!r.ok()) return ErrorResponse(r.status());
  Json contacts = Json::array();
  for (const model::CertificateContact& c : *r) {
    Json j = {{"email", c.email}};
    if (!c.name.empty()) j["name"] = c.name;
    if (!c.phone.empty()) j["phone"] = c.phone;
    contacts.push_back(std::move(j));
  }
  return JsonResponse(200, Dump(Json{{"id", ctx.host.Origin() + "/certificates/contacts"},
                                     {"contacts", contacts}}));
}

}  // namespace

COFFER_ROUTE_HANDLER(GetCertificateContacts) {
  return ContactsResponse(ctx, app.services().certificates->GetContacts(*ctx.vault));
}

COFFER_ROUTE_HANDLER(SetCertificateContacts) {
  auto body = ParseObjectBody(req.body);
  if (!body.ok()) return ErrorResponse(body.status());
  auto list = body->find("contacts");
  if (list == body->end() || !list->is_array()) {
    return ErrorResponse(FieldTypeError("contacts", "an array of {email, name, phone}"));
  }
  std::vector<model::CertificateContact> contacts;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    std::string where = "contacts[" + std::to_string(i) + "]";
    if (!item.is_object()) return ErrorResponse(FieldTypeError(where, "an object"));
    model::CertificateContact c;
    for (auto [field, out] : {std::pair{"email", &c.email}, std::pair{"name", &c.name},
                              std::pair{"phone", &c.phone}}) {
      auto v = OptString(item, field);
      if (!v.ok()) return ErrorResponse(v.status());
      *out = v->value_or("");
    }
    contacts.push_back(std::move(c));
  }
  return ContactsResponse(
      ctx, app.services().certificates->SetContacts(*ctx.vault, std::move(contacts)));
}

COFFER_ROUTE_HANDLER(DeleteCertificateContacts) {
  return ContactsResponse(ctx, app.services().certificates->DeleteContacts(*ctx.vault));
}

}  // namespace coffer::api
