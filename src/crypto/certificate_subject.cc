// Azure's subject string form <-> X509_NAME (certificate_internal.h).
//
// The form is RFC 4514's with the attribute names .NET and Key Vault accept: "CN=a, O=b, C=US".
// RDNs are separated by ',' or ';', the AVAs of a multi-valued RDN by '+'. Values may be quoted
// ("O=\"a, b\"") or escaped (\, \+ \" \\ \< \> \; \= \# or \XX hex). As in RFC 4514 the string
// lists the last RDN of the encoded sequence first, so "CN=a, O=b, C=US" encodes C, O, CN — the
// order of a conventional certificate — and reads back as written.
#include <cctype>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto::internal {
namespace {

constexpr size_t kMaxSubjectChars = 4096;
constexpr size_t kMaxValueBytes = 1024;

struct AttributeName {
  std::string_view name;  // as written back
  int nid;
};

// First entry per NID is the name FormatSubject writes.
constexpr AttributeName kAttributes[] = {
    {"CN", NID_commonName},
    {"O", NID_organizationName},
    {"OU", NID_organizationalUnitName},
    {"L", NID_localityName},
    {"ST", NID_stateOrProvinceName},
    {"S", NID_stateOrProvinceName},
    {"C", NID_countryName},
    {"E", NID_pkcs9_emailAddress},
    {"EMAIL", NID_pkcs9_emailAddress},
    {"EMAILADDRESS", NID_pkcs9_emailAddress},
    {"STREET", NID_streetAddress},
    {"DC", NID_domainComponent},
    {"SERIALNUMBER", NID_serialNumber},
    {"G", NID_givenName},
    {"GN", NID_givenName},
    {"GIVENNAME", NID_givenName},
    {"SN", NID_surname},
    {"T", NID_title},
    {"TITLE", NID_title},
    {"UID", NID_userId},
    {"PostalCode", NID_postalCode},
};

std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  out.append(s.size() > kMax ? "...'" : "'");
  return out;
}

Status Malformed(std::string_view subject, std::string why) {
  return BadParameter("the subject " + Quoted(subject) + " is not a valid distinguished name: " +
                      why + " (expected a form like \"CN=example.com, O=Contoso, C=US\")");
}

// NID for an attribute name: a known short name (any case), "OID.1.2.3" or "1.2.3".
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, FnDeleter<ASN1_OBJECT_free>>;

// The attribute type for a name: a known short name (any case), "OID.1.2.3" or "1.2.3". Unknown
// OIDs stay plain ASN1_OBJECTs: registering them (OBJ_create) would let callers grow OpenSSL's
// process-wide object table without bound. nullptr for anything else.
Asn1ObjectPtr AttributeType(std::string_view type) {
  for (const auto& a : kAttributes) {
    if (EqualsIgnoreCase(type, a.name)) return Asn1ObjectPtr(OBJ_nid2obj(a.nid));
  }
  if (type.size() > 4 && (type.starts_with("OID.") || type.starts_with("oid."))) {
    type.remove_prefix(4);
  }
  constexpr size_t kMaxOidChars = 128;
  if (type.empty() || type.size() > kMaxOidChars ||
      !std::isdigit(static_cast<unsigned char>(type[0]))) {
    return nullptr;
  }
  for (char c : type) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return nullptr;
  }
  Asn1ObjectPtr obj(OBJ_txt2obj(std::string(type).c_str(), 1));
  ERR_clear_error();
  return obj;
}

bool IsPrintableStringChar(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view(" '()+,-./:=?").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    if (c < 0x80) {
      extra = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Ava {
  Asn1ObjectPtr object;
  int nid = NID_undef;  // NID_undef for an OID OpenSSL has no name for
  std::string type;
  std::string value;
};

// Parses the subject into RDNs (each a list of AVAs), in the order written.
StatusOr<std::vector<std::vector<Ava>>> Tokenize(std::string_view s) {
  std::vector<std::vector<Ava>> rdns;
  std::vector<Ava> rdn;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < s.size() && s[i] == ' ') ++i;
  };
  while (true) {
    skip_spaces();
    size_t type_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ',' && s[i] != ';' && s[i] != '+') ++i;
    if (i >= s.size() || s[i] != '=') {
      return Malformed(s, "an attribute lacks '=' at offset " + std::to_string(type_start));
    }
    std::string_view type = s.substr(type_start, i - type_start);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (type.empty()) return Malformed(s, "an attribute name is empty");
    Ava ava;
    ava.type = std::string(type);
    ava.object = AttributeType(type);
    ava.nid = ava.object ? OBJ_obj2nid(ava.object.get()) : NID_undef;
    if (ava.object == nullptr) {
      return Malformed(s, "unknown attribute " + Quoted(type) +
                              " (use CN, O, OU, L, ST, C, E, STREET, DC, SERIALNUMBER, G, SN, "
                              "T, UID or a dotted OID)");
    }
    ++i;  // '='
    skip_spaces();
    size_t keep = 0;  // value length that must survive trailing-space trimming (escaped chars)
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= s.size()) break;
          c = s[i++];
        }
        ava.value.push_back(c);
      }
      if (!closed) return Malformed(s, "a quoted value is not closed");
      keep = ava.value.size();
      skip_spaces();
      if (i < s.size() && s[i] != ',' && s[i] != ';' && s[i] != '+') {
        return Malformed(s, "text follows a quoted value");
      }
    } else {
      while (i < s.size() && s[i] != ',' && s[i] != ';' && s[i] != '+') {
        char c = s[i++];
        if (c == '"') return Malformed(s, "a '\"' inside a value must be escaped as \\\"");
        if (c == '\\') {
          if (i >= s.size()) return Malformed(s, "the subject ends with a lone '\\'");
          int hi = HexDigit(s[i]);
          int lo = i + 1 < s.size() ? HexDigit(s[i + 1]) : -1;
          if (hi >= 0 && lo >= 0) {
            ava.value.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
          } else if (std::string_view(",+\"\\<>;=# ").find(s[i]) != std::string_view::npos) {
            ava.value.push_back(s[i++]);
          } else {
            return Malformed(s, "invalid escape '\\" + std::string(1, s[i]) + "'");
          }
          keep = ava.value.size();
          continue;
        }
        ava.value.push_back(c);
      }
      while (ava.value.size() > keep && ava.value.back() == ' ') ava.value.pop_back();
    }
    if (ava.value.empty()) return Malformed(s, "attribute " + Quoted(ava.type) + " has no value");
    if (ava.value.size() > kMaxValueBytes) {
      return Malformed(s, "attribute " + Quoted(ava.type) + " is longer than 1024 bytes");
    }
    if (!IsValidUtf8(ava.value) || ava.value.find('\0') != std::string::npos) {
      return Malformed(s, "attribute " + Quoted(ava.type) + " is not valid UTF-8 text");
    }
    rdn.push_back(std::move(ava));
    if (i >= s.size()) break;
    char sep = s[i++];
    if (sep != '+') {
      rdns.push_back(std::move(rdn));
      rdn.clear();
    }
    skip_spaces();
    if (i >= s.size()) return Malformed(s, "it ends with a separator");
  }
  rdns.push_back(std::move(rdn));
  return rdns;
}

// The string type Azure's certificates use: PrintableString when the value allows it.
StatusOr<int> ValueType(const Ava& ava, std::string_view subject) {
  bool printable = true;
  bool ascii = true;
  for (unsigned char c : ava.value) {
    printable = printable && IsPrintableStringChar(c);
    ascii = ascii && c < 0x80;
  }
  switch (ava.nid) {
    case NID_countryName:
      if (ava.value.size() != 2 || !std::isalpha(static_cast<unsigned char>(ava.value[0])) ||
          !std::isalpha(static_cast<unsigned char>(ava.value[1]))) {
        return Malformed(subject, "C must be a two-letter country code");
      }
      return V_ASN1_PRINTABLESTRING;
    case NID_pkcs9_emailAddress:
    case NID_domainComponent:
      if (!ascii) return Malformed(subject, Quoted(ava.type) + " must be ASCII");
      return V_ASN1_IA5STRING;
    default:
      return printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
  }
}

std::string EscapeValue(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool special = std::string_view(",+\"\\<>;=").find(c) != std::string_view::npos;
    bool edge = (i == 0 && (c == ' ' || c == '#')) || (i + 1 == v.size() && c == ' ');
    if (c == '\0') {
      out += "\\00";
      continue;
    }
    if (special || edge) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string AttributeLabel(const ASN1_OBJECT* obj) {
  int nid = OBJ_obj2nid(obj);
  for (const auto& a : kAttributes) {
    if (a.nid == nid && nid != NID_undef) return std::string(a.name);
  }
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return "OID";
  return "OID." + std::string(buf, static_cast<size_t>(n));
}

}  // namespace

StatusOr<X509NamePtr> ParseSubject(std::string_view subject) {
  if (subject.empty()) {
    return BadParameter("the subject is empty; give one such as \"CN=example.com\"");
  }
  if (subject.size() > kMaxSubjectChars) {
    return BadParameter("the subject is longer than 4096 characters");
  }
  ASSIGN_OR_RETURN(auto rdns, Tokenize(subject));
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) return OpenSslError("X509_NAME allocation failed");
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    bool first = true;
    for (const Ava& ava : *it) {
      ASSIGN_OR_RETURN(int type, ValueType(ava, subject));
      if (X509_NAME_add_entry_by_OBJ(name.get(), ava.object.get(), type, Uchars(ava.value),
                                     static_cast<int>(ava.value.size()), -1, first ? 0 : -1) != 1) {
        ERR_clear_error();
        return Malformed(subject, "attribute " + Quoted(ava.type) + " could not be encoded");
      }
      first = false;
    }
  }
  return name;
}

std::string FormatSubject(const X509_NAME* name) {
  std::vector<std::string> rdns;
  int last_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    std::string ava = AttributeLabel(X509_NAME_ENTRY_get_object(entry)) + "=";
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (len >= 0) {
      ava += EscapeValue(std::string_view(reinterpret_cast<char*>(utf8), static_cast<size_t>(len)));
      OPENSSL_free(utf8);
    } else {
      ERR_clear_error();
      ava += "?";
    }
    int set = X509_NAME_ENTRY_set(entry);
    if (!rdns.empty() && set == last_set) {
      rdns.back() += "+" + ava;
    } else {
      rdns.push_back(std::move(ava));
    }
    last_set = set;
  }
  std::string out;
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    if (!out.empty()) out += ", ";
    out += *it;
  }
  return out;
}

}  // namespace coffer::crypto::internal
