// The compiled-in region catalogue: Azure's public regions, each with its geography and paired
// region. Backups are bound to the geography; failover goes to the pair.
//
// Thread-safety: immutable data.
#pragma once

#include <span>
#include <string_view>

namespace coffer::model {

struct Region {
  std::string_view name;          // canonical, e.g. "eastus"
  std::string_view display_name;  // e.g. "East US"
  std::string_view geography;     // e.g. "United States"
  std::string_view pair;          // canonical name of the paired region
};

std::span<const Region> AllRegions();

// Matches "eastus", "EastUS" and "East US" alike; nullptr if unknown.
const Region* FindRegion(std::string_view location);

}  // namespace coffer::model
