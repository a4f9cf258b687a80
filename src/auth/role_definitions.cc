#include "auth/role_definitions.h"

#include <cctype>
#include <optional>

#include "core/encoding.h"

namespace coffer::auth {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view action) {
  for (const std::string& p : patterns) {
    if (ActionMatches(p, action)) return true;
  }
  return false;
}

// The role GUID a condition compares with: the last segment of a roleDefinitionId path, or the
// GUID itself.
std::string_view RoleGuidOf(std::string_view role_id) {
  size_t slash = role_id.rfind('/');
  return slash == std::string_view::npos ? role_id : role_id.substr(slash + 1);
}

// Recursive-descent evaluator of an ABAC condition, evaluating while it parses. Any construct it
// does not know makes the whole condition unparseable (nullopt), which callers treat as false.
//
//   or    := and { ("OR" | "||") and }
//   and   := unary { ("AND" | "&&") unary }
//   unary := "!" unary | "(" or ")" | atom
//   atom  := "ActionMatches" "{" 'pattern' "}"
//          | ("@Request" | "@Resource") "[" attribute "]" operator "{" value { "," value } "}"
class ConditionEvaluator {
 public:
  ConditionEvaluator(std::string_view text, std::string_view action, std::string_view target)
      : text_(text), action_(action), target_(RoleGuidOf(target)) {}

  std::optional<bool> Evaluate() {
    std::optional<bool> v = Or();
    SkipSpace();
    if (!v || pos_ != text_.size()) return std::nullopt;
    return v;
  }

 private:
  static constexpr int kMaxDepth = 64;

  std::optional<bool> Or() {
    std::optional<bool> v = And();
    while (v && (Keyword("OR") || Symbol("||"))) {
      std::optional<bool> rhs = And();
      if (!rhs) return std::nullopt;
      v = *v || *rhs;
    }
    return v;
  }

  std::optional<bool> And() {
    std::optional<bool> v = Unary();
    while (v && (Keyword("AND") || Symbol("&&"))) {
      std::optional<bool> rhs = Unary();
      if (!rhs) return std::nullopt;
      v = *v && *rhs;
    }
    return v;
  }

  std::optional<bool> Unary() {
    if (++depth_ > kMaxDepth) return std::nullopt;
    std::optional<bool> v;
    if (Symbol("!")) {
      v = Unary();
      if (v) v = !*v;
    } else if (Symbol("(")) {
      v = Or();
      if (v && !Symbol(")")) v = std::nullopt;
    } else {
      v = Atom();
    }
    --depth_;
    return v;
  }

  std::optional<bool> Atom() {
    if (Keyword("ActionMatches")) {
      if (!Symbol("{")) return std::nullopt;
      std::optional<std::string_view> pattern = Quoted();
      if (!pattern || !Symbol("}")) return std::nullopt;
      return ActionMatches(*pattern, action_);
    }
    if (!Symbol("@Request") && !Symbol("@Resource")) return std::nullopt;
    if (!Symbol("[")) return std::nullopt;
    size_t close = text_.find(']', pos_);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view attribute = text_.substr(pos_, close - pos_);
    pos_ = close + 1;
    if (!EqualsIgnoreCase(attribute, "Microsoft.Authorization/roleAssignments:RoleDefinitionId")) {
      return std::nullopt;
    }
    bool negate;
    if (Keyword("ForAnyOfAnyValues:GuidEquals") || Keyword("GuidEquals")) {
      negate = false;
    } else if (Keyword("ForAnyOfAllValues:GuidNotEquals") || Keyword("GuidNotEquals")) {
      negate = true;
    } else {
      return std::nullopt;
    }
    std::optional<std::vector<std::string_view>> values = ValueList();
    if (!values) return std::nullopt;
    // RoleDefinitionId is single-valued, so "any of any" is plain membership.
    bool member = false;
    for (std::string_view v : *values) member = member || EqualsIgnoreCase(v, target_);
    return negate ? !member : member;
  }

  std::optional<std::vector<std::string_view>> ValueList() {
    if (!Symbol("{")) return std::nullopt;
    size_t close = text_.find('}', pos_);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view body = text_.substr(pos_, close - pos_);
    pos_ = close + 1;
    std::vector<std::string_view> values;
    while (true) {
      size_t comma = body.find(',');
      std::string_view item = Trim(body.substr(0, comma));
      if (item.size() >= 2 && item.front() == '\'' && item.back() == '\'') {
        item = item.substr(1, item.size() - 2);
      }
      if (item.empty()) return std::nullopt;
      values.push_back(item);
      if (comma == std::string_view::npos) break;
      body.remove_prefix(comma + 1);
    }
    return values;
  }

  std::optional<std::string_view> Quoted() {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '\'') return std::nullopt;
    size_t close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view v = text_.substr(pos_ + 1, close - pos_ - 1);
    pos_ = close + 1;
    return v;
  }

  // A literal symbol, after optional whitespace.
  bool Symbol(std::string_view s) {
    SkipSpace();
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }

  // A word, case-insensitive, that must not run on into an identifier character.
  bool Keyword(std::string_view word) {
    SkipSpace();
    if (!EqualsIgnoreCase(text_.substr(pos_, word.size()), word)) return false;
    size_t end = pos_ + word.size();
    if (end < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == ':')) {
      return false;
    }
    pos_ = end;
    return true;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  static std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  }

  std::string_view text_;
  std::string_view action_;
  std::string_view target_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

const RoleDefinition* FindRoleDefinition(std::string_view guid) {
  for (const RoleDefinition& r : BuiltInRoleDefinitions()) {
    if (EqualsIgnoreCase(r.id, guid)) return &r;
  }
  return nullptr;
}

const RoleDefinition* FindRoleDefinitionByName(std::string_view role_name) {
  for (const RoleDefinition& r : BuiltInRoleDefinitions()) {
    if (EqualsIgnoreCase(r.role_name, role_name)) return &r;
  }
  return nullptr;
}

// Glob match with one backtracking point: on a mismatch after a '*', the star absorbs one more
// character. Linear in practice, O(pattern × action) at worst; no allocation.
bool ActionMatches(std::string_view pattern, std::string_view action) {
  size_t p = 0, a = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (a < action.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = a;
    } else if (p < pattern.size() && Lower(pattern[p]) == Lower(action[a])) {
      ++p;
      ++a;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      a = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool EvaluateRoleCondition(std::string_view condition, std::string_view condition_version,
                           std::string_view action, std::string_view target_role_id) {
  if (condition_version != "2.0") return false;
  std::optional<bool> v = ConditionEvaluator(condition, action, target_role_id).Evaluate();
  return v.value_or(false);
}

bool RoleGrants(const RoleDefinition& role, std::string_view action, bool data_action,
                std::string_view target_role_id) {
  if (action.empty()) return false;
  for (const RolePermission& p : role.permissions) {
    const std::vector<std::string>& allow = data_action ? p.data_actions : p.actions;
    const std::vector<std::string>& deny = data_action ? p.not_data_actions : p.not_actions;
    if (!AnyMatches(allow, action) || AnyMatches(deny, action)) continue;
    if (!p.condition.empty() &&
        !EvaluateRoleCondition(p.condition, p.condition_version, action, target_role_id)) {
      continue;
    }
    return true;
  }
  return false;
}

}  // namespace coffer::auth
