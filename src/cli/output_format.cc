#include "cli/output_format.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace coffer::cli {
namespace {

using nlohmann::json;

OutputFormat g_format = OutputFormat::kJson;

bool IsPlain(const json& j) { return !j.is_object() && !j.is_array(); }

std::string PlainText(const json& j) {
  if (j.is_null()) return "";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

// A row: column name → value, flattening nested objects one level.
using Row = std::vector<std::pair<std::string, std::string>>;

Row RowOf(const json& item) {
  Row row;
  if (!item.is_object()) {
    row.emplace_back("Result", PlainText(item));
    return row;
  }
  for (const auto& [name, value] : item.items()) {
    if (IsPlain(value)) {
      row.emplace_back(name, PlainText(value));
    } else if (value.is_object()) {
      for (const auto& [inner, inner_value] : value.items()) {
        if (IsPlain(inner_value)) row.emplace_back(name + "." + inner, PlainText(inner_value));
      }
    }
  }
  return row;
}

std::string Header(std::string name) {
  for (size_t i = 0; i < name.size(); ++i) {
    if (i == 0 || name[i - 1] == '.') {
      name[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
    }
  }
  return name;
}

std::string OneLine(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; },
                  ' ');
  return s;
}

}  // namespace

std::optional<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "table") return OutputFormat::kTable;
  if (name == "tsv") return OutputFormat::kTsv;
  return std::nullopt;
}

std::string FormatOutput(const json& j, OutputFormat format) {
  if (j.is_null()) return "";
  if (format == OutputFormat::kJson) return j.dump(2) + "\n";

  std::vector<Row> rows;
  if (j.is_array()) {
    for (const json& item : j) rows.push_back(RowOf(item));
  } else {
    rows.push_back(RowOf(j));
  }
  // The columns: every name any row has, in name order; a row without one has it empty.
  std::vector<std::string> columns;
  for (const Row& row : rows) {
    for (const auto& [name, value] : row) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
    }
  }
  std::sort(columns.begin(), columns.end());
  std::vector<std::vector<std::string>> cells;
  for (const Row& row : rows) {
    std::vector<std::string> line(columns.size());
    for (const auto& [name, value] : row) {
      size_t at = std::find(columns.begin(), columns.end(), name) - columns.begin();
      line[at] = OneLine(value);
    }
    cells.push_back(std::move(line));
  }

  std::string out;
  if (format == OutputFormat::kTsv) {
    for (const auto& line : cells) {
      for (size_t c = 0; c < line.size(); ++c) out += (c ? "\t" : "") + line[c];
      out += "\n";
    }
    return out;
  }
  std::vector<std::string> headers;
  std::vector<size_t> widths;
  for (const std::string& column : columns) {
    headers.push_back(Header(column));
    widths.push_back(headers.back().size());
  }
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], line[c].size());
  }
  auto emit = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      text += line[c];
      if (c + 1 < line.size()) text += std::string(widths[c] - line[c].size() + 2, ' ');
    }
    while (text.ends_with(' ')) text.pop_back();
    out += text + "\n";
  };
  if (columns.empty()) return "";
  emit(headers);
  std::vector<std::string> dashes;
  for (size_t w : widths) dashes.push_back(std::string(w, '-'));
  emit(dashes);
  for (const auto& line : cells) emit(line);
  return out;
}

void SetOutputFormat(OutputFormat format) { g_format = format; }
OutputFormat CurrentOutputFormat() { return g_format; }

}  // namespace coffer::cli
