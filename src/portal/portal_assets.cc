#include "portal/portal_assets.h"

namespace coffer::portal {

const Asset* FindAsset(std::string_view name) {
  if (name.empty()) name = "index.html";
  for (const Asset& a : Assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace coffer::portal
