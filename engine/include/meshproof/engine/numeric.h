// numeric.h: the tolerances and number formats every layer shares, so that "equal share"
// or "the same instant" means one thing from verify to the simulator.
#pragma once

#include <string>

namespace meshproof {

/// Two traffic shares (fractions in [0, 1]) closer than this are equal. Shares are sums
/// and quotients of at most thousands of weights: their rounding error is far smaller.
inline constexpr double kShareTolerance = 1e-12;
/// Split weights as written (integers or quantities summing to e.g. 100) closer than this
/// are equal.
inline constexpr double kWeightTolerance = 1e-9;
/// Simulated times (seconds) closer than this are the same instant: below the 1 ns a
/// scenario can express, above the rounding of times up to 10^6 s.
inline constexpr double kTimeTolerance = 1e-9;

/// A share for JSON: rounded to 12 significant digits, far inside kShareTolerance, so that
/// 1/5 computed as 0.19999999999999996 prints as 0.2.
double RoundShare(double share);
/// A share as a percentage with up to four significant digits: 0.125 -> "12.5%".
std::string PercentText(double share);
/// A share as a percentage with a fixed number of decimals: (0.0621, 2) -> "6.21%" (for
/// columns of shares that must line up and add up visibly).
std::string PercentFixed(double share, int decimals);

}  // namespace meshproof
