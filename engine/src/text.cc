#include "meshproof/engine/text.h"

#include <vector>

namespace meshproof {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when none does
// (Unicode 15, table 3-7).
std::size_t SequenceLength(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

void AppendHex(unsigned char c, std::string* out) {
  static const char kDigits[] = "0123456789abcdef";
  out->append("\\x");
  out->push_back(kDigits[c >> 4]);
  out->push_back(kDigits[c & 15]);
}

// Length of a colour sequence ESC [ [0-9;]* m at s[i], or 0.
std::size_t SgrLength(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size() || s[i + 1] != '[') return 0;
  std::size_t k = i + 2;
  while (k < s.size() && ((s[k] >= '0' && s[k] <= '9') || s[k] == ';')) ++k;
  return k < s.size() && s[k] == 'm' ? k + 1 - i : 0;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string EscapeInvalidUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = SequenceLength(s, i);
    if (n == 0) {
      AppendHex(static_cast<unsigned char>(s[i]), &out);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string EscapeForTerminal(std::string_view s, bool keep_sgr) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = SequenceLength(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 0) {
      AppendHex(c, &out);
      ++i;
      continue;
    }
    if (n == 1 && c == 0x1B && keep_sgr) {
      if (const std::size_t sgr = SgrLength(s, i); sgr > 0) {
        out.append(s.substr(i, sgr));
        i += sgr;
        continue;
      }
    }
    const bool c0 = n == 1 && (c < 0x20 || c == 0x7F) && c != '\n' && c != '\t';
    // C1 controls (U+0080..U+009F) are the two bytes C2 80..C2 9F.
    const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (c0) {
      AppendHex(c, &out);
    } else if (c1) {
      out.append("\\u00");
      static const char kDigits[] = "0123456789abcdef";
      const auto v = static_cast<unsigned char>(s[i + 1]);
      out.push_back(kDigits[v >> 4]);
      out.push_back(kDigits[v & 15]);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

void EscapeInvalidUtf8(nlohmann::json* doc) {
  std::vector<nlohmann::json*> stack{doc};
  while (!stack.empty()) {
    nlohmann::json* j = stack.back();
    stack.pop_back();
    if (j->is_string()) {
      auto& str = j->get_ref<std::string&>();
      if (!IsValidUtf8(str)) str = EscapeInvalidUtf8(str);
    } else if (j->is_array()) {
      for (auto& v : *j) stack.push_back(&v);
    } else if (j->is_object()) {
      bool bad_key = false;
      for (auto it = j->begin(); it != j->end(); ++it) bad_key |= !IsValidUtf8(it.key());
      if (bad_key) {
        nlohmann::json fixed = nlohmann::json::object();
        for (auto it = j->begin(); it != j->end(); ++it)
          fixed[EscapeInvalidUtf8(it.key())] = std::move(it.value());
        *j = std::move(fixed);
      }
      for (auto& v : *j) stack.push_back(&v);
    }
  }
}

void NormalizeLoneCarriageReturns(std::string* text) {
  for (std::size_t i = text->find('\r'); i != std::string::npos; i = text->find('\r', i + 1)) {
    if (i + 1 >= text->size() || (*text)[i + 1] != '\n') (*text)[i] = '\n';
  }
}

bool IsHttpToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
      return false;
  }
  return true;
}

std::string Abbreviate(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t cut = max_bytes;
  // Back off to a character boundary (never inside a UTF-8 continuation run).
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "... (" + std::to_string(s.size()) + " bytes)";
}

}  // namespace meshproof
