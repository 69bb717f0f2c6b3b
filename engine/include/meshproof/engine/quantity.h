// quantity.h: Kubernetes resource quantities, evaluated exactly.
//
// SMI TrafficSplit v1alpha1 weights are resource.Quantity values: "1" is 1000m, "500m" is
// 0.5, "1e3" is 1000, "1Ki" is 1024. The smi-sdk-go conversion to v1alpha2 takes the
// unscaled digits ("500m" -> 500, "1" -> 1) and so turns a 2:1 split into 1:500; meshproof
// evaluates the quantity instead (docs/reference/smi-semantics.md section 3.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshproof {

/// An exact non-negative-or-negative rational value of a quantity.
struct QuantityValue {
  /// Numerator and denominator as decimal strings (arbitrary precision), denominator > 0,
  /// reduced.
  std::string numerator;
  std::string denominator;
  double approx = 0;  // nearest double
  bool negative = false;
  bool is_zero = false;
};

/// Parses a quantity in Kubernetes' grammar: sign, digits with an optional fraction, then
/// an optional suffix (binary Ki..Ei, decimal n u m k M G T P E, or an exponent e/E<int>).
/// nullopt when `text` is not a quantity. Exponents beyond +/-100 are rejected.
std::optional<QuantityValue> ParseQuantity(std::string_view text);

/// Exact shares: share[i] = values[i] / sum(values), as doubles. Negative or invalid
/// entries (nullopt) count as 0. All zeros when the sum is 0.
std::vector<double> ExactShares(const std::vector<std::optional<QuantityValue>>& values);

}  // namespace meshproof
