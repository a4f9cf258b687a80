// `--output json|table|tsv` of the `coffer` CLI (CONTRACT.md "CLI"), like az's: what a command
// prints on stdout. JSON (the default) is the server's answer indented by 2. Table and TSV turn
// the answer into rows: a list is a row per item, an object one row, a list of plain values one
// column `Result`. The columns are the plain members (strings, numbers, booleans, null) of the
// rows and of their nested objects one level down (`Attributes.Enabled`), in the order of their
// names; deeper values and lists are left out. Table prints a header of the names (first letter
// upper-cased, as az does), a dashed line and the rows, columns padded and two spaces apart;
// TSV prints the rows only, tab-separated, with tabs and line breaks in values made spaces.
// Booleans are `true`/`false`, null is empty.
//
// Thread-safety: the format is chosen once, before commands run (SetOutputFormat from the
// option's callback); FormatOutput is a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace coffer::cli {

enum class OutputFormat { kJson, kTable, kTsv };

// "json", "table" or "tsv"; nullopt for anything else.
std::optional<OutputFormat> ParseOutputFormat(const std::string& name);

// What `j` prints as in `format`, ending in a newline ("" for null).
std::string FormatOutput(const nlohmann::json& j, OutputFormat format);

// The process's format: what PrintJson uses (default JSON).
void SetOutputFormat(OutputFormat format);
OutputFormat CurrentOutputFormat();

}  // namespace coffer::cli
