// The portal's static files (CONTRACT.md "Portal"), compiled into the binary from
// src/portal/assets/ by embed_assets.cmake, so the portal needs no files on disk, no CDN and
// works offline. The api module serves them at /portal/ (api/portal_routes.cc).
//
// Thread-safety: immutable data.
#pragma once

#include <string_view>
#include <vector>

namespace coffer::portal {

struct Asset {
  std::string_view name;          // "index.html", "app.js" …: the path under /portal/
  std::string_view content_type;  // from the extension
  std::string_view body;
};

// Every asset, in the order of src/portal/CMakeLists.txt.
const std::vector<Asset>& Assets();

// The asset named `name`, or null. "" names index.html (GET /portal/).
const Asset* FindAsset(std::string_view name);

}  // namespace coffer::portal
