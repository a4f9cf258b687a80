// Authorization of a matched route (CONTRACT.md "Authorization"): decided in OnHead, before the
// body is read and before anything about the object is looked at.
#include "api/app.h"
#include "api/errors.h"

namespace coffer::api {

Status App::Authorize(const RequestContext& ctx) const {
  (void)ctx;
  return OkStatus();
}

}  // namespace coffer::api
