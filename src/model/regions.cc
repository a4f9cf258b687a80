#include "model/regions.h"

#include <array>
#include <string>

namespace coffer::model {
namespace {

constexpr std::array<Region, 43> kRegions = {{
    {"eastus", "East US", "United States", "westus"},
    {"westus", "West US", "United States", "eastus"},
    {"eastus2", "East US 2", "United States", "centralus"},
    {"centralus", "Central US", "United States", "eastus2"},
    {"northcentralus", "North Central US", "United States", "southcentralus"},
    {"southcentralus", "South Central US", "United States", "northcentralus"},
    {"westus2", "West US 2", "United States", "westcentralus"},
    {"westcentralus", "West Central US", "United States", "westus2"},
    {"westus3", "West US 3", "United States", "eastus"},
    {"canadacentral", "Canada Central", "Canada", "canadaeast"},
    {"canadaeast", "Canada East", "Canada", "canadacentral"},
    {"brazilsouth", "Brazil South", "Brazil", "southcentralus"},
    {"northeurope", "North Europe", "Europe", "westeurope"},
    {"westeurope", "West Europe", "Europe", "northeurope"},
    {"uksouth", "UK South", "United Kingdom", "ukwest"},
    {"ukwest", "UK West", "United Kingdom", "uksouth"},
    {"francecentral", "France Central", "France", "francesouth"},
    {"francesouth", "France South", "France", "francecentral"},
    {"germanywestcentral", "Germany West Central", "Germany", "germanynorth"},
    {"germanynorth", "Germany North", "Germany", "germanywestcentral"},
    {"switzerlandnorth", "Switzerland North", "Switzerland", "switzerlandwest"},
    {"switzerlandwest", "Switzerland West", "Switzerland", "switzerlandnorth"},
    {"norwayeast", "Norway East", "Norway", "norwaywest"},
    {"norwaywest", "Norway West", "Norway", "norwayeast"},
    {"swedencentral", "Sweden Central", "Sweden", "swedensouth"},
    {"swedensouth", "Sweden South", "Sweden", "swedencentral"},
    {"eastasia", "East Asia", "Asia Pacific", "southeastasia"},
    {"southeastasia", "Southeast Asia", "Asia Pacific", "eastasia"},
    {"japaneast", "Japan East", "Japan", "japanwest"},
    {"japanwest", "Japan West", "Japan", "japaneast"},
    {"koreacentral", "Korea Central", "Korea", "koreasouth"},
    {"koreasouth", "Korea South", "Korea", "koreacentral"},
    {"centralindia", "Central India", "India", "southindia"},
    {"southindia", "South India", "India", "centralindia"},
    {"westindia", "West India", "India", "southindia"},
    {"australiaeast", "Australia East", "Australia", "australiasoutheast"},
    {"australiasoutheast", "Australia Southeast", "Australia", "australiaeast"},
    {"australiacentral", "Australia Central", "Australia", "australiacentral2"},
    {"australiacentral2", "Australia Central 2", "Australia", "australiacentral"},
    {"southafricanorth", "South Africa North", "Africa", "southafricawest"},
    {"southafricawest", "South Africa West", "Africa", "southafricanorth"},
    {"uaenorth", "UAE North", "UAE", "uaecentral"},
    {"uaecentral", "UAE Central", "UAE", "uaenorth"},
}};

std::string Canonical(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::span<const Region> AllRegions() { return kRegions; }

const Region* FindRegion(std::string_view location) {
  std::string want = Canonical(location);
  if (want.empty()) return nullptr;
  for (const Region& r : kRegions) {
    if (r.name == want) return &r;
  }
  return nullptr;
}

}  // namespace coffer::model
