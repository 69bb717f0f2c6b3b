#include "meshproof/engine/quantity.h"

#include <cctype>

#include <boost/multiprecision/cpp_int.hpp>

namespace meshproof {
namespace {
using Rational = boost::multiprecision::cpp_rational;
using BigInt = boost::multiprecision::cpp_int;

std::optional<Rational> ParseExact(std::string_view s) {
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  BigInt digits = 0;
  int frac_digits = 0;
  bool any = false, dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = digits * 10 + (c - '0');
      if (dot) ++frac_digits;
      any = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any || frac_digits > 100) return std::nullopt;
  std::string_view suffix = s.substr(i);
  int exp10 = -frac_digits;
  int exp2 = 0;
  if (suffix.empty()) {
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static const std::string_view bin = "KMGTPE";
    std::size_t k = bin.find(suffix[0]);
    if (k == std::string_view::npos) return std::nullopt;
    exp2 = 10 * static_cast<int>(k + 1);
  } else if (suffix.size() == 1 &&
             std::string_view("numkMGTPE").find(suffix[0]) != std::string_view::npos) {
    switch (suffix[0]) {
      case 'n':
        exp10 -= 9;
        break;
      case 'u':
        exp10 -= 6;
        break;
      case 'm':
        exp10 -= 3;
        break;
      case 'k':
        exp10 += 3;
        break;
      case 'M':
        exp10 += 6;
        break;
      case 'G':
        exp10 += 9;
        break;
      case 'T':
        exp10 += 12;
        break;
      case 'P':
        exp10 += 15;
        break;
      case 'E':
        exp10 += 18;
        break;
      default:
        return std::nullopt;
    }
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::size_t j = 1;
    bool eneg = false;
    if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) eneg = suffix[j++] == '-';
    if (j >= suffix.size() || suffix.size() - j > 3) return std::nullopt;
    int e = 0;
    for (; j < suffix.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(suffix[j]))) return std::nullopt;
      e = e * 10 + (suffix[j] - '0');
    }
    if (e > 100) return std::nullopt;
    exp10 += eneg ? -e : e;
  } else {
    return std::nullopt;
  }
  Rational v(digits);
  BigInt p10 = 1;
  for (int k = 0; k < (exp10 < 0 ? -exp10 : exp10); ++k) p10 *= 10;
  if (exp10 >= 0) {
    v *= p10;
  } else {
    v /= Rational(p10);
  }
  if (exp2 > 0) v *= BigInt(1) << exp2;
  if (neg) v = -v;
  return v;
}

}  // namespace

std::optional<QuantityValue> ParseQuantity(std::string_view text) {
  auto r = ParseExact(text);
  if (!r) return std::nullopt;
  QuantityValue q;
  q.numerator = boost::multiprecision::numerator(*r).str();
  q.denominator = boost::multiprecision::denominator(*r).str();
  q.approx = r->convert_to<double>();
  q.negative = *r < 0;
  q.is_zero = *r == 0;
  return q;
}

std::vector<double> ExactShares(const std::vector<std::optional<QuantityValue>>& values) {
  std::vector<Rational> v;
  Rational sum = 0;
  for (const auto& q : values) {
    Rational r = 0;
    if (q && !q->negative) r = Rational(BigInt(q->numerator), BigInt(q->denominator));
    v.push_back(r);
    sum += r;
  }
  std::vector<double> shares(values.size(), 0.0);
  if (sum == 0) return shares;
  for (std::size_t i = 0; i < v.size(); ++i) shares[i] = Rational(v[i] / sum).convert_to<double>();
  return shares;
}

}  // namespace meshproof
